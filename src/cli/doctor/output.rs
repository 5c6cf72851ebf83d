//! How `doctor` shows what it found: the helper list of each host, the secret stores and
//! the findings with their fixes for people, or the stable `--json` shape documented in
//! [`super::JSON_HELP`]. Keep the two in step.

use std::io::Write;

use super::findings::{Finding, Severity};
use super::stores::{quoted, StoreReport};
use crate::cli::json::Json;
use crate::context::Context;
use crate::gitconfig::{helper_value, Entry, Helper, HostView};

pub struct Report<'a> {
    pub ctx: &'a Context,
    pub views: &'a [HostView],
    pub stores: &'a [StoreReport],
    pub findings: &'a [Finding],
    pub ok: bool,
}

impl Report<'_> {
    pub fn json(&self) -> Json {
        let hosts = self.views.iter().map(host_json);
        let stores = self.stores.iter().map(store_json);
        Json::Obj(vec![
            ("ok", Json::Bool(self.ok)),
            (
                "config",
                Json::str(self.ctx.config_path.display().to_string()),
            ),
            ("hosts", Json::Arr(hosts.collect())),
            ("secret_stores", Json::Arr(stores.collect())),
            (
                "findings",
                Json::Arr(self.findings.iter().map(Finding::json).collect()),
            ),
        ])
    }

    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "config: {}", self.ctx.config_path.display())?;
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
            (0, 0) => writeln!(out, "no problems found"),
            (0, n) => writeln!(out, "no problems found ({n} note{})", plural(n)),
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

fn host_json(v: &HostView) -> Json {
    let write_back = v
        .helpers
        .iter()
        .filter(|h| !h.ours)
        .map(|h| Json::str(helper_value(h)));
    Json::Obj(vec![
        ("host", Json::str(v.host.as_str())),
        (
            "helpers",
            Json::Arr(v.helpers.iter().map(helper_json).collect()),
        ),
        (
            "reset",
            v.reset.as_ref().map_or(Json::Null, |e: &Entry| {
                Json::Obj(vec![
                    ("key", Json::str(e.key.as_str())),
                    ("scope", Json::str(e.scope.as_str())),
                    ("origin", Json::str(e.origin.as_str())),
                ])
            }),
        ),
        (
            "scoped_first",
            Json::Bool(v.helpers.first().is_some_and(|h| h.ours)),
        ),
        ("use_http_path", Json::Bool(v.use_http_path)),
        ("write_back", Json::Arr(write_back.collect())),
    ])
}

fn helper_json(h: &Helper) -> Json {
    Json::Obj(vec![
        ("value", Json::str(helper_value(h))),
        ("key", Json::str(h.entry.key.as_str())),
        ("scope", Json::str(h.entry.scope.as_str())),
        ("origin", Json::str(h.entry.origin.as_str())),
        ("ours", Json::Bool(h.ours)),
        ("only_for", Json::opt_str(h.only_for.clone())),
    ])
}

fn store_json(s: &StoreReport) -> Json {
    Json::Obj(vec![
        ("store", Json::str(s.store)),
        (
            "tokens",
            Json::Arr(s.tokens.iter().map(|t| Json::str(t.as_str())).collect()),
        ),
        ("reachable", s.reachable.map_or(Json::Null, Json::Bool)),
    ])
}

fn print_host(out: &mut impl Write, v: &HostView) -> std::io::Result<()> {
    writeln!(out, "{}", v.host)?;
    if let Some(r) = &v.reset {
        writeln!(
            out,
            "  helper list reset by an empty {} ({})",
            r.key,
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
            h.entry.key,
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
    writeln!(out, "{}: {on}{}", f.severity.name(), f.what)?;
    writeln!(out, "  why: {}", f.why)?;
    if let Some(fix) = &f.fix {
        writeln!(out, "  fix: {fix}")?;
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
