/* Signals through a self-pipe, so a poll() loop wakes without races. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"

static int pipefd[2] = { -1, -1 };
static volatile sig_atomic_t stop_sig, reload_pending;

static void on_signal(int signo)
{
	int saved = errno;
	if (signo == SIGHUP)
		reload_pending = 1;
	else
		stop_sig = signo;
	if (pipefd[1] >= 0) {
		ssize_t r = write(pipefd[1], "", 1);
		(void)r;
	}
	errno = saved;
}

int sig_init(void)
{
	struct sigaction sa;

	if (pipefd[0] < 0 && pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

int sig_fd(void) { return pipefd[0]; }

void sig_drain(void)
{
	char buf[64];
	while (pipefd[0] >= 0 && read(pipefd[0], buf, sizeof(buf)) > 0)
		;
}

bool sig_stop_requested(void) { return stop_sig != 0; }
int sig_stop_signal(void) { return stop_sig; }

bool sig_take_reload(void)
{
	if (!reload_pending)
		return false;
	reload_pending = 0;
	return true;
}
