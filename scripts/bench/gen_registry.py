#!/usr/bin/env python3
"""Generates the benchmark's inputs (scripts/bench.sh calls it).

  gen_registry.py registry DIR --tokens N --repos-per-token M --owners K [--secrets hit]
      A hermetic HOME under DIR/home with
        .config/git-credential-scoped/config.toml   N [[token]] tables, as `add` writes them
        .local/share/git-credential-scoped/secrets  every token's secret (--secrets hit: only
                                                    the requested token's), file store, 0600
      and DIR/request-hit, a `get` request for the LAST repository of the LAST token (the
      worst place in the file), DIR/expect-hit (its secret) and DIR/layout (one line).
      Token i belongs to owner (i mod K), so an owner's tokens are spread through the file.

  gen_registry.py store FILE --lines N
      A git credential-store file: N-1 entries for other repositories of the 1,000-token
      registry, then the one the request asks for, last (credential-store stops at the first
      match). Entries carry the repository path, as credential-store keeps them under
      useHttpPath: a request with a path matches no host-only entry.

  gen_registry.py request FILE --host H --path P
      A `get` request on its own.

Everything is deterministic: secrets are derived from the token names.
"""

import argparse
import hashlib
import os
import sys

# The repository of the request in `store` files: the one the 1,000-token registry's
# request asks for, so every command answers the same request.
HIT_OWNER = "owner-99"
HIT_REPO = "repo-0999-09"


def secret_for(name):
    """A fine-grained-token-shaped secret (github_pat_ + 22 + _ + 59 characters)."""
    h = hashlib.sha256(("bench-secret:" + name).encode()).hexdigest()
    h = (h + hashlib.sha256(h.encode()).hexdigest())[:81]
    return "github_pat_11" + h[:20] + "_" + h[20:79]


def fingerprint(secret):
    return "sha256:" + hashlib.sha256(secret.encode()).digest()[:8].hex()


def plural(n, what):
    return "{:,} {}{}".format(n, what, "" if n == 1 else "s")


def request(host, path):
    return "protocol=https\nhost=%s\npath=%s\n\n" % (host, path)


def write(path, text, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def registry(a):
    home = os.path.join(a.dir, "home")
    conf_dir = os.path.join(home, ".config", "git-credential-scoped")
    data_dir = os.path.join(home, ".local", "share", "git-credential-scoped")
    os.makedirs(conf_dir, mode=0o700, exist_ok=True)
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    os.chmod(data_dir, 0o700)
    width = max(2, len(str(a.repos_per_token - 1)))
    out = [
        "# git-credential-scoped registry: tokens and GitHub hosts. No secrets here.\n",
        "version = 1\n",
    ]
    secrets = ["# git-credential-scoped file secret store (plaintext, keep private)\n"]
    repos = set()
    for i in range(a.tokens):
        name = "tok-%04d" % i
        owner = "owner-%02d" % (i % a.owners)
        names = ["repo-%04d-%0*d" % (i, width, j) for j in range(a.repos_per_token)]
        repos.update((owner, r) for r in names)
        secret = secret_for(name)
        out.append(
            "\n[[token]]\n"
            'name = "%s"\n'
            'host = "github.com"\n'
            'owner = "%s"\n'
            "repositories = [%s]\n"
            'permissions = { contents = "write", metadata = "read", pull_requests = "write" }\n'
            'expires = "2099-12-31T00:00:00Z"\n'
            'secret = "file"\n'
            'fingerprint = "%s"\n'
            % (name, owner, ", ".join('"%s"' % r for r in names), fingerprint(secret))
        )
        if a.secrets == "all" or i == a.tokens - 1:
            secrets.append("token/%s %s\n" % (name, secret))
    config = "".join(out)
    write(os.path.join(conf_dir, "config.toml"), config, 0o644)
    write(os.path.join(data_dir, "secrets"), "".join(secrets), 0o600)
    last = a.tokens - 1
    write(
        os.path.join(a.dir, "request-hit"),
        request("github.com", "%s/%s.git" % ("owner-%02d" % (last % a.owners), names[-1])),
    )
    write(os.path.join(a.dir, "expect-hit"), secret_for("tok-%04d" % last) + "\n")
    write(
        os.path.join(a.dir, "layout"),
        "%s x %s over %s = %s repositories; config.toml %s bytes, file store %s\n"
        % (
            plural(a.tokens, "token"),
            plural(a.repos_per_token, "repo"),
            plural(a.owners, "owner"),
            "{:,}".format(len(repos)),
            "{:,}".format(len(config.encode())),
            plural(len(secrets) - 1, "secret"),
        ),
    )


def store(a):
    secret = secret_for("store")
    lines = [
        "https://x-access-token:%s@github.com/owner-%02d/repo-%04d-%02d.git\n"
        % (secret_for("store-%d" % n), n // 10 % 100, n // 10, n % 10)
        for n in range(a.lines - 1)
    ]
    lines.append("https://x-access-token:%s@github.com/%s/%s.git\n" % (secret, HIT_OWNER, HIT_REPO))
    write(a.file, "".join(lines), 0o600)
    write(a.file + ".expect", secret + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("registry")
    r.add_argument("dir")
    r.add_argument("--tokens", type=int, required=True)
    r.add_argument("--repos-per-token", type=int, required=True)
    r.add_argument("--owners", type=int, required=True)
    r.add_argument("--secrets", choices=("all", "hit"), default="all")
    s = sub.add_parser("store")
    s.add_argument("file")
    s.add_argument("--lines", type=int, required=True)
    q = sub.add_parser("request")
    q.add_argument("file")
    q.add_argument("--host", required=True)
    q.add_argument("--path", required=True)
    a = p.parse_args()
    if a.what == "registry":
        if not 1 <= a.owners <= min(a.tokens, 100):
            sys.exit("gen_registry.py: --owners must be from 1 to min(tokens, 100)")
        registry(a)
    elif a.what == "store":
        store(a)
    else:
        write(a.file, request(a.host, a.path))


if __name__ == "__main__":
    main()
