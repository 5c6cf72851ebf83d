#!/usr/bin/env python3
"""Generates the benchmark's inputs (scripts/bench.sh calls it).

  gen_registry.py registry DIR --tokens N --repos-per-token M --owners K [--via-add BIN]
      A hermetic HOME under DIR/home with
        .config/git-credential-scoped/config.toml   N [[token]] tables, as `add` writes them
        .local/share/git-credential-scoped/secrets.d  every token's secret, file store, 0600
      --via-add BIN: the tokens are registered by the binary itself (`BIN add ...
      --secret-store file`, the secret on stdin), not written by this script, and what the
      binary stored is compared with what this script would have written (binary_formats
      below); a difference stops the run with a pointer there. Meant for a few tokens.
      Also DIR/request-hit, a `get` request for the LAST repository of the LAST token (the
      worst place in the file), DIR/request-store, the `store` git sends after a success with
      that token (username and password added), DIR/expect-hit (its secret) and DIR/layout
      (one line). Token i belongs to owner (i mod K), so an owner's tokens are spread through
      the file.

  gen_registry.py store FILE
      A git credential-store file of one line, for the repository the 1,000-token registry's
      request asks for, with its path (as credential-store keeps entries under useHttpPath).
      FILE.expect holds the secret and FILE.request-store the `store` request that writes
      that entry again.

Only the documented config keys are written (version, [[token]] name/host/owner/
repositories/permissions/expires/secret/fingerprint). Everything is deterministic: secrets
are derived from the token names.
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys

# The repository of the request in the `store` file: the one the 1,000-token registry's
# request asks for (its last token, owner-99, repository 9 of 10).
HIT_OWNER = "owner-99"
HIT_REPO = "repo-0999-09"
USERNAME = "x-access-token"
EXPIRES = "2099-12-31T00:00:00Z"
PERMISSIONS = (("contents", "write"), ("metadata", "read"), ("pull_requests", "write"))


# ================================================================== binary_formats
# EVERYTHING this script knows about how git-credential-scoped keeps a stored secret. When
# the binary changes one of these, update this block (and only it):
#   fingerprint         src/secret.rs fingerprint_of: "sha256:" + first 8 bytes of SHA-256, hex
#   secret key          src/registry/mod.rs Token::secret_key: "token/NAME/FINGERPRINT"
#   file store          src/secrets/file.rs: DATA_DIR/secrets.d/ (0700), one 0600 file per
#                       secret holding its bytes, named by the key with every byte but
#                       letters, digits, '.', '_', '-' written %XX
# scripts/bench.sh registers its 1-token registry through the binary's own `add`
# (--via-add) and compares the result with these functions first, so a change shows up as
# one clear message instead of wrong answers later.

FILE_STORE_DIR = "secrets.d"


def fingerprint(secret):
    return "sha256:" + hashlib.sha256(secret.encode()).digest()[:8].hex()


def secret_key(token_name, secret):
    return "token/%s/%s" % (token_name, fingerprint(secret))


def file_name(key):
    """src/secrets/file.rs file_name: letters, digits, '.', '_', '-' kept, else %XX."""
    out = []
    for b in key.encode():
        if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "._-"):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def file_store_entry(token_name, secret):
    """(file name, content) of the secret's file in DATA_DIR/secrets.d."""
    return file_name(secret_key(token_name, secret)), secret


# ================================================================== end of binary_formats


def secret_for(name):
    """A fine-grained-token-shaped secret (github_pat_ + 22 + _ + 59 characters)."""
    h = hashlib.sha256(("bench-secret:" + name).encode()).hexdigest()
    h = (h + hashlib.sha256(h.encode()).hexdigest())[:81]
    return "github_pat_11" + h[:20] + "_" + h[20:79]


def plural(n, what):
    return "{:,} {}{}".format(n, what, "" if n == 1 else "s")


def request(host, path, password=None):
    text = "protocol=https\nhost=%s\npath=%s\n" % (host, path)
    if password is not None:
        text += "username=%s\npassword=%s\n" % (USERNAME, password)
    return text + "\n"


def write(path, text, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def hermetic_env(home):
    """The environment of a binary run on this registry (the harness uses the same)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
        "GIT_CREDENTIAL_SCOPED_CONFIG": os.path.join(home, ".config", "git-credential-scoped", "config.toml"),
        "GIT_CREDENTIAL_SCOPED_SECRET_STORE": "file",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }


def add_via_binary(binary, env, name, owner, repos, secret):
    """`add` one token with the binary itself; --repo in chunks (an argument is <= 128 KiB)."""
    argv = [binary, "add", name, "--owner", owner]
    for i in range(0, len(repos), 1000):
        argv += ["--repo", ",".join(repos[i:i + 1000])]
    for k, v in PERMISSIONS:
        argv += ["--permission", "%s=%s" % (k, v)]
    argv += ["--expires", EXPIRES, "--secret-store", "file"]
    r = subprocess.run(argv, input=(secret + "\n").encode(), env=env, capture_output=True)
    if r.returncode != 0:
        sys.exit("gen_registry.py: `%s add %s` failed (exit %d): %s"
                 % (binary, name, r.returncode, r.stderr.decode(errors="replace").strip()))


def check_formats(config_path, secrets_dir, made):
    """Compares what `add` stored with binary_formats; exits with a pointer on a difference."""
    with open(config_path) as f:
        config = f.read()
    problems = []
    for name, secret in made:
        m = re.search(r'(?ms)^name\s*=\s*"%s"\s*$(.*?)(?=^\[\[|\Z)' % re.escape(name), config)
        fp = re.search(r'^fingerprint\s*=\s*"([^"]*)"', m.group(1), re.M) if m else None
        if not fp:
            problems.append("config.toml records no fingerprint for %s" % name)
        elif fp.group(1) != fingerprint(secret):
            problems.append("fingerprint of %s: the binary wrote %s, fingerprint() gives %s"
                            % (name, fp.group(1), fingerprint(secret)))
        fname, content = file_store_entry(name, secret)
        try:
            with open(os.path.join(secrets_dir, fname)) as f:
                if f.read() != content:
                    problems.append("the file store's %s does not hold the secret of %s" % (fname, name))
        except OSError:
            problems.append("the file store holds no file %s for %s (file_store_entry())" % (fname, name))
    if problems:
        sys.exit("gen_registry.py: the binary's stored-secret format is not what this script "
                 "writes; update the binary_formats block in scripts/bench/gen_registry.py:\n  "
                 + "\n  ".join(problems))


def token_table(name, owner, names, source):
    perms = ", ".join('%s = "%s"' % kv for kv in PERMISSIONS)
    return (
        "\n[[token]]\n"
        'name = "%s"\n'
        'host = "github.com"\n'
        'owner = "%s"\n'
        "repositories = [%s]\n"
        "permissions = { %s }\n"
        'expires = "%s"\n'
        "%s"
        % (name, owner, ", ".join('"%s"' % r for r in names), perms, EXPIRES, source)
    )


def registry(a):
    home = os.path.join(a.dir, "home")
    conf_dir = os.path.join(home, ".config", "git-credential-scoped")
    data_dir = os.path.join(home, ".local", "share", "git-credential-scoped")
    config_path = os.path.join(conf_dir, "config.toml")
    secrets_dir = os.path.join(data_dir, FILE_STORE_DIR)
    os.makedirs(conf_dir, mode=0o700, exist_ok=True)
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    os.chmod(data_dir, 0o700)
    tw = max(4, len(str(a.tokens - 1)))
    rw = max(2, len(str(a.repos_per_token - 1)))
    out = [
        "# git-credential-scoped registry: tokens and GitHub hosts. No secrets here.\n",
        "version = 1\n",
    ]
    secrets = []
    made = []
    repos = 0
    env = hermetic_env(home)
    for i in range(a.tokens):
        name = "tok-%0*d" % (tw, i)
        owner = "owner-%02d" % (i % a.owners)
        names = ["repo-%0*d-%0*d" % (tw, i, rw, j) for j in range(a.repos_per_token)]
        repos += len(names)
        secret = secret_for(name)
        if a.via_add:
            add_via_binary(a.via_add, env, name, owner, names, secret)
            made.append((name, secret))
            continue
        source = 'secret = "file"\nfingerprint = "%s"\n' % fingerprint(secret)
        secrets.append(file_store_entry(name, secret))
        out.append(token_table(name, owner, names, source))
    if a.via_add:
        check_formats(config_path, secrets_dir, made)
    else:
        write(config_path, "".join(out), 0o644)
        os.makedirs(secrets_dir, mode=0o700, exist_ok=True)
        os.chmod(secrets_dir, 0o700)
        for fname, content in secrets:
            write(os.path.join(secrets_dir, fname), content, 0o600)
    last = a.tokens - 1
    last_name = "tok-%0*d" % (tw, last)
    path = "%s/%s.git" % ("owner-%02d" % (last % a.owners), names[-1])
    write(os.path.join(a.dir, "request-hit"), request("github.com", path))
    write(os.path.join(a.dir, "request-store"), request("github.com", path, secret_for(last_name)), 0o600)
    write(os.path.join(a.dir, "expect-hit"), secret_for(last_name) + "\n")
    write(
        os.path.join(a.dir, "layout"),
        "%s x %s over %s = %s repositories; config.toml %s bytes, %s%s\n"
        % (
            plural(a.tokens, "token"),
            plural(a.repos_per_token, "repo"),
            plural(a.owners, "owner"),
            "{:,}".format(repos),
            "{:,}".format(os.path.getsize(config_path)),
            "file store " + plural(a.tokens, "secret"),
            " (registered with the binary's `add`)" if a.via_add else "",
        ),
    )


def store(a):
    secret = secret_for("store")
    line = "https://%s:%s@github.com/%s/%s.git\n" % (USERNAME, secret, HIT_OWNER, HIT_REPO)
    write(a.file, line, 0o600)
    write(a.file + ".expect", secret + "\n")
    write(a.file + ".request-store", request("github.com", "%s/%s.git" % (HIT_OWNER, HIT_REPO), secret), 0o600)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("registry")
    r.add_argument("dir")
    r.add_argument("--tokens", type=int, required=True)
    r.add_argument("--repos-per-token", type=int, required=True)
    r.add_argument("--owners", type=int, required=True)
    r.add_argument("--via-add", metavar="BIN", default="")
    s = sub.add_parser("store")
    s.add_argument("file")
    a = p.parse_args()
    if a.what == "registry":
        if not 1 <= a.owners <= min(a.tokens, 100):
            sys.exit("gen_registry.py: --owners must be from 1 to min(tokens, 100)")
        registry(a)
    else:
        store(a)


if __name__ == "__main__":
    main()
