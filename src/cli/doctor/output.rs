//! How `doctor` shows what it found: the helper list of each host, the secret stores and
//! the findings with their fixes for people, or the stable `--json` shape documented in
//! [`super::JSON_HELP`]. Keep the two in step.

use std::io::Write;

use super::findings::{Finding, Severity};
use super::stores::{quoted, StoreReport};
use serde::Serialize;

use crate::cli::paint;
use crate::context::Context;
use crate::messages::shown_path;

/// `doctor --json`: the documented shape (super::JSON_HELP); fields in this order.
#[derive(Serialize)]
struct Doc<'a> {
    ok: bool,
    config: String,
    hosts: Vec<HostDoc<'a>>,
    secret_stores: Vec<StoreDoc<'a>>,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct HostDoc<'a> {
    host: &'a str,
    helpers: Vec<HelperDoc<'a>>,
    reset: Option<PlaceDoc<'a>>,
    scoped_first: bool,
    use_http_path: bool,
    write_back: Vec<String>,
    /// Added after the first shape: "http" for the plain-http view of an allow_http host.
    scheme: &'a str,
}

#[derive(Serialize)]
struct HelperDoc<'a> {
    value: String,
    key: &'a str,
    scope: &'a str,
    origin: &'a str,
    ours: bool,
    only_for: Option<&'a str>,
}

#[derive(Serialize)]
struct PlaceDoc<'a> {
    key: &'a str,
    scope: &'a str,
    origin: &'a str,
}

#[derive(Serialize)]
struct StoreDoc<'a> {
    store: &'a str,
    tokens: &'a [String],
    reachable: Option<bool>,
}
use crate::gitconfig::{helper_value, HostView};

pub struct Report<'a> {
    pub ctx: &'a Context,
    pub views: &'a [HostView],
    pub stores: &'a [StoreReport],
    pub findings: &'a [Finding],
    pub ok: bool,
}

impl Report<'_> {
    pub fn write_json(&self, out: &mut impl Write) -> std::io::Result<()> {
        let doc = Doc {
            ok: self.ok,
            config: self.ctx.config_path.display().to_string(),
            hosts: self.views.iter().map(host_json).collect(),
            secret_stores: self
                .stores
                .iter()
                .map(|s| StoreDoc {
                    store: s.store,
                    tokens: &s.tokens,
                    reachable: s.reachable,
                })
                .collect(),
            findings: self.findings,
        };
        crate::messages::write_json(&mut *out, &doc)?;
        writeln!(out)
    }

    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "config: {}", shown_path(&self.ctx.config_path))?;
        for v in self.views {
            print_host(out, v)?;
        }
        for s in self.stores {
            let reach = match s.reachable {
                Some(true) => ", reachable (not unlocked, no secret read)",
                Some(false) => ", NOT reachable",
                None => "",
            };
            writeln!(
                out,
                "secret store {}{reach}: {}",
                s.store,
                quoted(&s.tokens)
            )?;
        }
        for f in self.findings {
            print_finding(out, f)?;
        }
        self.print_totals(out)
    }

    fn print_totals(&self, out: &mut impl Write) -> std::io::Result<()> {
        let count = |s| self.findings.iter().filter(|f| f.severity == s).count();
        let (e, w, n) = (
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Note),
        );
        match (e + w, n) {
            (0, 0) => writeln!(out, "{}", paint::paint(paint::OK, "no problems found")),
            (0, n) => writeln!(
                out,
                "{} ({n} note{})",
                paint::paint(paint::OK, "no problems found"),
                plural(n)
            ),
            (_, n) => writeln!(
                out,
                "{e} error{}, {w} warning{}, {n} note{}",
                plural(e),
                plural(w),
                plural(n)
            ),
        }
    }
}

fn host_json(v: &HostView) -> HostDoc<'_> {
    HostDoc {
        host: &v.host,
        helpers: v
            .helpers
            .iter()
            .map(|h| HelperDoc {
                value: helper_value(h),
                key: &h.entry.key,
                scope: &h.entry.scope,
                origin: &h.entry.origin,
                ours: h.ours,
                only_for: h.only_for.as_deref(),
            })
            .collect(),
        reset: v.reset.as_ref().map(|e| PlaceDoc {
            key: &e.key,
            scope: &e.scope,
            origin: &e.origin,
        }),
        scoped_first: v.helpers.first().is_some_and(|h| h.ours),
        use_http_path: v.use_http_path,
        write_back: v
            .helpers
            .iter()
            .filter(|h| !h.ours)
            .map(helper_value)
            .collect(),
        scheme: &v.scheme,
    }
}

fn print_host(out: &mut impl Write, v: &HostView) -> std::io::Result<()> {
    writeln!(out, "{}", v.label())?;
    if let Some(r) = &v.reset {
        writeln!(
            out,
            "  helper list reset by an empty {} ({})",
            r.key_shown(),
            r.place()
        )?;
    }
    if v.helpers.is_empty() {
        writeln!(out, "  no credential helper")?;
    }
    for (i, h) in v.helpers.iter().enumerate() {
        let only = h
            .only_for
            .as_ref()
            .map(|c| format!(", only for {c}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}. {}  ({}: {}{only})",
            i + 1,
            helper_value(h),
            h.entry.key_shown(),
            h.entry.place()
        )?;
    }
    writeln!(
        out,
        "  useHttpPath: {}",
        if v.use_http_path { "on" } else { "off" }
    )
}

fn print_finding(out: &mut impl Write, f: &Finding) -> std::io::Result<()> {
    let on = f
        .host
        .as_ref()
        .map(|h| format!("{h}: "))
        .unwrap_or_default();
    let style = match f.severity {
        Severity::Error => paint::BAD,
        Severity::Warning => paint::WARN,
        Severity::Note => anstyle::Style::new(),
    };
    writeln!(
        out,
        "{}: {on}{}",
        paint::paint(style, f.severity.name()),
        f.what
    )?;
    writeln!(out, "  why: {}", f.why)?;
    if let Some(link) = &f.link {
        writeln!(out, "  link: {link}")?;
    }
    if let Some(fix) = &f.fix {
        writeln!(out, "  fix: {}", paint::fix(fix))?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
