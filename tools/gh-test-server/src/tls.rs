//! A throw-away certificate authority and a server certificate for `127.0.0.1`.
//!
//! The CA certificate (self-signed) is what clients trust (`GIT_SSL_CAINFO`); the server presents
//! a leaf certificate signed by it. A separate CA is used instead of one self-signed leaf because
//! every TLS stack accepts that shape (GnuTLS in Debian's git, OpenSSL, rustls/webpki).

use std::io;
use std::sync::Arc;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// The TLS material of one server.
pub(crate) struct Tls {
    /// Shared rustls server configuration (ring provider, HTTP/1.1 ALPN).
    pub(crate) config: Arc<ServerConfig>,
    /// PEM of the CA certificate that signed the server certificate.
    pub(crate) ca_pem: String,
}

fn other<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> io::Error + '_ {
    move |e| io::Error::other(format!("gh-test-server: {what}: {e}"))
}

/// Generates a fresh CA and a leaf certificate for `127.0.0.1` and `localhost`.
pub(crate) fn generate() -> io::Result<Tls> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(other("CA params"))?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "gh-test-server throw-away CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = date_time_ymd(2024, 1, 1);
    ca_params.not_after = date_time_ymd(2049, 12, 31);
    let ca_key = KeyPair::generate().map_err(other("CA key"))?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(other("CA certificate"))?;

    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .map_err(other("server params"))?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    leaf_params.is_ca = IsCa::NoCa;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.not_before = date_time_ymd(2024, 1, 1);
    leaf_params.not_after = date_time_ymd(2049, 12, 31);
    let leaf_key = KeyPair::generate().map_err(other("server key"))?;
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .map_err(other("server certificate"))?;

    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));

    // An explicit provider: never depend on a process-wide default, which panics when another
    // crate in the build enables a second provider (for example aws-lc-rs through ureq).
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(other("TLS versions"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(other("TLS certificate"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(Tls {
        config: Arc::new(config),
        ca_pem: ca.pem(),
    })
}
