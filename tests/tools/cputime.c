/* cputime: run a command, print the CPU seconds it used (user + sys, in
 * microseconds from wait4(2), not GNU time's hundredths) on stderr or to -o FILE.
 *   cputime [-o FILE] CMD [ARG...]
 * Exits with the command's status (127 when it cannot be run). The benches
 * compare runs of under a second, where 10 ms steps are a few per cent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *out = NULL;
	struct rusage ru;
	int st, a = 1;
	pid_t pid;
	FILE *f;

	if (argc > 2 && !strcmp(argv[1], "-o")) {
		out = argv[2];
		a = 3;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: cputime [-o FILE] CMD [ARG...]\n");
		return 2;
	}
	if ((pid = fork()) < 0) {
		perror("cputime: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[a], argv + a);
		perror(argv[a]);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0) {
		perror("cputime: wait4");
		return 127;
	}
	f = out ? fopen(out, "w") : stderr;
	if (!f) {
		perror(out);
		return 127;
	}
	fprintf(f, "%.6f\n", (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (out)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
