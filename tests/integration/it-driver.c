/*
 * it-driver.c - runs one integration test script: it-driver SCRIPT ARGS...
 *
 * The tests are shell scripts, but meson starts this program rather than sh:
 * under `meson test --setup valgrind` the wrapper then checks this small
 * program, not the shell (whose own leaks would fail every test), and the
 * script runs podfab-run itself under valgrind (see lib.sh).  The script's
 * exit status is returned as is; death by a signal becomes 128 + signal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: it-driver SCRIPT [ARGS...]\n");
		return 2;
	}
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args) {
		perror("it-driver");
		return 1;
	}
	args[0] = "sh";
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("it-driver: fork");
		free(args);
		return 1;
	}
	if (pid == 0) {
		execv("/bin/sh", args);
		fprintf(stderr, "it-driver: /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	free(args);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("it-driver: waitpid");
			return 1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}
