//! Token lifetimes against owners' limits, before a token is registered (issue 23): a
//! token known to live longer than its owner allows — a limit an online check learned from
//! GitHub — is refused at `add` and `rotate` with the fix; one without expiry or of more
//! than 366 days gets a warning naming GitHub's default organization policy (since March
//! 2025 organizations refuse fine-grained tokens living longer than 366 days unless an owner
//! relaxed it). Offline: nothing tells whether an owner is an organization, unless a limit
//! was learned for it, so the warning says "if OWNER is an organization".

use crate::context::Context;
use crate::registry::learned::{self, Learned};
use crate::registry::{Expiry, Token};
use crate::time::DAY;

/// GitHub's default maximum lifetime for organizations.
pub const DEFAULT_LIMIT_DAYS: i64 = 366;

/// The refusal for a token of `lifetime` days (`None`: no expiry) known to exceed its
/// owner's limit, or the warning about the default policy; `Ok(None)` when neither applies.
pub fn judge(
    learned: &Learned,
    host: &str,
    owner: &str,
    name: &str,
    lifetime: Option<i64>,
) -> Result<Option<String>, String> {
    if let Some(limit) = learned.limit(host, owner) {
        if lifetime.is_none_or(|d| d > i64::from(limit.days)) {
            return Err(format!(
                "token '{name}' would be refused: {}\nhint: create it with an expiry of at most {} days (new-token-url --owner {owner} --expires-in {}), then add it with --expires-in {}d",
                crate::messages::over_lifetime_words(limit),
                limit.days,
                limit.days,
                limit.days
            ));
        }
        return Ok(None);
    }
    let long = lifetime.is_none_or(|d| d > DEFAULT_LIMIT_DAYS);
    Ok(long.then(|| {
        let how = lifetime.map_or("no expiry".to_string(), |d| format!("a lifetime of {d} days"));
        format!(
            "warning: token '{name}' has {how}: if {owner} is an organization, GitHub's default policy refuses fine-grained tokens living longer than {DEFAULT_LIMIT_DAYS} days (an owner may have set fewer); use --expires-in {DEFAULT_LIMIT_DAYS}d or less unless an owner relaxed it"
        )
    }))
}

/// The token's lifetime in days from `now` (`None`: no expiry); unknown counts as fine.
fn lifetime(token: &Token, now: i64) -> Option<Option<i64>> {
    match token.expires {
        Expiry::Never => Some(None),
        Expiry::At(at) => Some(Some((at - now).div_euclid(DAY))),
        Expiry::Unknown => None,
    }
}

/// `add` / `rotate`: refuses (an error) or warns (on stderr) before the secret is taken.
pub fn check_new(ctx: &Context, token: &Token) -> Result<(), Box<dyn std::error::Error>> {
    let Some(days) = lifetime(token, ctx.now) else {
        return Ok(());
    };
    let learned = learned::load(&ctx.data_dir)?;
    if let Some(w) = judge(&learned, &token.host, &token.owner, &token.name, days)? {
        super::paint::say(&mut super::paint::stderr(), &w);
    }
    Ok(())
}

/// Records that `name` got its (current) secret now: an expiry then tells its lifetime.
pub fn record_added(ctx: &Context, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    learned::update(&ctx.data_dir, |l| l.set_added(name, ctx.now))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::learned::Limit;

    #[test]
    fn a_learned_limit_refuses_and_the_default_policy_warns() {
        let none = Learned::default();
        let w = judge(&none, "github.com", "acme", "t", None)
            .unwrap()
            .unwrap();
        assert!(
            w.contains("if acme is an organization") && w.contains("366 days"),
            "{w}"
        );
        assert!(judge(&none, "github.com", "acme", "t", Some(400))
            .unwrap()
            .is_some());
        assert!(judge(&none, "github.com", "acme", "t", Some(366))
            .unwrap()
            .is_none());
        let mut l = Learned::default();
        l.set_limit(Limit {
            host: "github.com".into(),
            owner: "acme".into(),
            days: 90,
            kind: "organization".into(),
            by: "acme".into(),
            seen: 0,
        });
        let e = judge(&l, "github.com", "Acme", "t", Some(120)).unwrap_err();
        assert!(e.contains("--expires-in 90d"), "{e}");
        assert!(judge(&l, "github.com", "acme", "t", Some(90))
            .unwrap()
            .is_none());
    }
}
