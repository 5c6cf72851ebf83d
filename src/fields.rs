//! One text encoding for the fields of the program's own line-based files: bytes outside
//! printable ASCII, space and `%` become `%XX`; an absent value is `-` (a literal `-` is
//! `%2D`). Empty and absent stay distinct, and any byte string round-trips.

pub fn encode(value: Option<&[u8]>) -> String {
    let mut out = String::new();
    encode_into(&mut out, value);
    out
}

/// [`encode`], appended to `out`: for files of many fields written in one pass.
pub fn encode_into(out: &mut String, value: Option<&[u8]>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let Some(value) = value else {
        out.push('-');
        return;
    };
    if value.is_empty() {
        out.push('%');
        return;
    }
    let plain = |b: u8| b > 0x20 && b < 0x7f && b != b'%';
    if value != b"-" && value.iter().all(|&b| plain(b)) {
        // All printable ASCII, so one copy of the whole.
        out.push_str(std::str::from_utf8(value).unwrap_or_default());
        return;
    }
    for &b in value {
        if plain(b) && value != b"-" {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// A malformed escape: the file was edited by hand or damaged.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// `None` for `-`; an error for a malformed escape.
pub fn decode(text: &str) -> Result<Option<Vec<u8>>, Malformed> {
    if text == "-" {
        return Ok(None);
    }
    if text == "%" {
        return Ok(Some(Vec::new()));
    }
    if !text.contains('%') {
        return Ok(Some(text.as_bytes().to_vec()));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or(Malformed)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| Malformed)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind_of_value() {
        let values: [Option<&[u8]>; 7] = [
            None,
            Some(b""),
            Some(b"-"),
            Some(b"a b%c"),
            Some(b"\xff\x00\n"),
            Some(b"--"),
            Some(b"plain/path.git"),
        ];
        for v in values {
            let enc = encode(v);
            assert!(!enc.contains([' ', '\n', '\t']), "{enc}");
            assert_eq!(decode(&enc).unwrap().as_deref(), v, "{enc}");
        }
        assert_eq!(encode(None), "-");
        assert_eq!(encode(Some(b"")), "%");
    }

    #[test]
    fn malformed_escapes_are_errors() {
        assert!(decode("%zz").is_err());
        assert!(decode("a%4").is_err());
    }
}
