// SPDX-License-Identifier: MIT
/*
 * bench-rss FILE CMD [ARGS...]: run CMD (stdin, stdout and stderr
 * inherited), then write one line to FILE:
 *   PEAK_RSS_KIB USER_SECONDS SYSTEM_SECONDS WALL_SECONDS
 * from wait4(2)'s rusage of CMD (ru_maxrss counts every page CMD had
 * mapped and resident at once, mapped guest RAM included).  Exits with
 * CMD's status (128 + N if a signal N killed it).  For make bench; no
 * package needed for it (GNU time would do the same).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv(const struct timeval *t)
{
	return (double)t->tv_sec + (double)t->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double t0;
	FILE *f;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-rss FILE CMD [ARGS...]\n");
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("bench-rss: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "bench-rss: cannot run '%s': %s\n", argv[2],
			strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("bench-rss: wait4");
			return 1;
		}
	f = fopen(argv[1], "w");
	if (!f) {
		fprintf(stderr, "bench-rss: cannot write '%s': %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	fprintf(f, "%ld %.3f %.3f %.6f\n", ru.ru_maxrss, tv(&ru.ru_utime),
		tv(&ru.ru_stime), now() - t0);
	if (fclose(f) != 0) {
		perror("bench-rss: close");
		return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
