/* The process-spawn floor: what any credential helper costs at the least. It reads the
 * request on stdin to EOF and prints a two-line answer, and does nothing else. Built with
 * `gcc -O2` by scripts/bench.sh; no Rust runtime, only libc's start-up. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[4096];

	while (read(0, buf, sizeof buf) > 0)
		;
	fputs("username=x-access-token\npassword=github_pat_floor\n", stdout);
	return 0;
}
