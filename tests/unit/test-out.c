/* out.c: a FIFO with no reader, a reader that arrives, goes away, comes
 * back and stops reading; the loop is never blocked on it. Files start
 * empty; a run without a loop writes everything. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "out.h"
#include "unit.h"

static int opened, lost, blocked, unblocked, failed;
static ar_msec longest;         /* the longest loop round or flush, ms */

static void on_opened(void *arg) { (void)arg; opened++; }
static void on_lost(void *arg) { (void)arg; lost++; }
static void on_failed(void *arg, int e) { (void)arg; (void)e; failed++; }
static void on_blocked(void *arg, bool b)
{
	(void)arg;
	if (b)
		blocked++;
	else
		unblocked++;
}

static const struct out_ops ops = { on_opened, on_lost, on_blocked, on_failed };

static void timed_flush(struct out *o)
{
	ar_msec t0 = ev_now();
	out_flush(o);
	if (ev_now() - t0 > longest)
		longest = ev_now() - t0;
}

/* Loop rounds until *v reaches want or ms pass; each round is timed. */
static void run_until(struct ev_loop *l, int *v, int want, int ms)
{
	ar_msec end = ev_now() + (ar_msec)ms;
	while ((!v || *v < want) && ev_now() < end) {
		ar_msec t0 = ev_now();
		ev_run_once(l, 20);
		if (ev_now() - t0 > longest)
			longest = ev_now() - t0;
	}
}

static void put(struct out *o, int n)
{
	for (int i = 0; i < n; i++) {
		rw_begin(out_w(o), "stats");
		rw_u64(out_w(o), "n", (uint64_t)i);
		rw_str(out_w(o), "pad", "0123456789012345678901234567890123456789");
		rw_end(out_w(o));
	}
	timed_flush(o);
}

/* Records readable on fd now. */
static int count(int fd)
{
	struct rec_reader *r = rr_new(fd, "test");
	struct rec rec;
	int n = 0;

	while (rr_fill(r) > 0)
		while (rr_next(r, &rec) == 1)
			n++;
	rr_free(r);
	return n;
}

static void fifo_cases(const char *path)
{
	struct ev_loop *l = ev_new();
	struct out *o = out_new(l, path, &ops, NULL);
	char junk[65536];
	int rfd;

	out_set_high_water(o, 64 * 1024);
	/* no reader: open, down, retried on the timer */
	CHECK(out_start(o) == 0);
	CHECK(!out_up(o) && !out_takes(o) && !out_failed(o));
	put(o, 10);                     /* dropped, not queued */
	CHECK(rw_pending(out_w(o)) == 0);
	run_until(l, NULL, 0, 3 * OUT_REOPEN_MS);
	CHECK(opened == 0);

	/* the reader arrives: opened, and what is written reaches it */
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	run_until(l, &opened, 1, 2000);
	CHECK(opened == 1 && out_up(o) && out_takes(o));
	put(o, 100);
	CHECK(count(rfd) == 100);

	/* it goes away while nothing is written: POLLERR tells */
	close(rfd);
	run_until(l, &lost, 1, 2000);
	CHECK(lost == 1 && !out_up(o));
	put(o, 10);
	CHECK(rw_pending(out_w(o)) == 0);

	/* back: opened again, an empty output for the complete state */
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	run_until(l, &opened, 2, 2000);
	CHECK(opened == 2 && out_up(o));

	/* it stops reading: the pipe fills, then the buffer; the owner is
	 * told and nothing waits for the reader */
	for (int i = 0; i < 1000 && out_takes(o); i++)
		put(o, 200);
	CHECK(!out_takes(o) && out_up(o));
	CHECK(blocked == 1 && unblocked == 0);
	run_until(l, NULL, 0, 300);
	CHECK(blocked == 1);
	/* it reads again: below the high water, told so */
	for (int i = 0; i < 200 && unblocked == 0; i++) {
		while (read(rfd, junk, sizeof(junk)) > 0)
			;
		run_until(l, &unblocked, 1, 20);
	}
	CHECK(unblocked == 1 && out_takes(o));
	for (int i = 0; i < 200 && rw_pending(out_w(o)) > 0; i++) {
		while (read(rfd, junk, sizeof(junk)) > 0)
			;
		run_until(l, NULL, 0, 5);
	}
	CHECK(rw_pending(out_w(o)) == 0);

	/* it goes while records wait: EPIPE on the write, the same loss */
	put(o, 2000);
	close(rfd);
	put(o, 10);
	run_until(l, &lost, 2, 2000);
	CHECK(lost == 2 && !out_up(o) && !out_failed(o));
	CHECK(failed == 0);
	CHECK(longest < 200);
	out_free(o);
	ev_free(l);
}

static void file_cases(const char *path)
{
	struct ev_loop *l = ev_new();
	struct out *o;
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	CHECK(write(fd, "an older run's records", 22) == 22);
	close(fd);
	o = out_new(l, path, &ops, NULL);
	CHECK(out_start(o) == 0 && out_up(o));
	put(o, 3);
	CHECK(out_drain(o, 1000) == 0);
	fd = open(path, O_RDONLY);
	CHECK(count(fd) == 3);
	close(fd);
	out_free(o);

	/* without a loop: everything written by the flush */
	o = out_new(NULL, path, NULL, NULL);
	CHECK(out_start(o) == 0);
	put(o, 5000);
	CHECK(rw_pending(out_w(o)) == 0);
	CHECK(stat(path, &st) == 0 && st.st_size > 5000 * 40);
	out_free(o);

	o = out_new(l, "/nonexistent/dir/out", &ops, NULL);
	CHECK(out_start(o) == -1);
	out_free(o);
	CHECK(opened == 2 && failed == 0);
	ev_free(l);
}

/* A low water of 0: once over the high water, taken again only when all
 * that waited is written; the stall timed from the first byte not taken;
 * at exit a stopped reader holds up no more than the idle bound. */
static void catch_up_cases(const char *path)
{
	struct ev_loop *l = ev_new();
	struct out *o = out_new(l, path, &ops, NULL);
	char junk[65536];
	int rfd;
	ar_msec t0;

	opened = lost = blocked = unblocked = failed = 0;
	out_set_high_water(o, 64 * 1024);
	out_set_low_water(o, 0);
	CHECK(out_start(o) == 0 && !out_up(o));
	/* no reader: stalled from the start */
	run_until(l, NULL, 0, 100);
	CHECK(out_stalled_ms(o) >= 50);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	run_until(l, &opened, 1, 2000);
	CHECK(opened == 1 && out_stalled_ms(o) == 0);
	put(o, 10);
	CHECK(count(rfd) == 10 && out_stalled_ms(o) == 0);

	/* the reader stops: blocked, stalled since then */
	for (int i = 0; i < 1000 && out_takes(o); i++)
		put(o, 200);
	CHECK(blocked == 1 && !out_takes(o));
	run_until(l, NULL, 0, 100);
	CHECK(out_stalled_ms(o) >= 50 && out_stalled_ms(o) < 1000);
	/* it reads again: not taking until all is written, then told */
	for (int i = 0; i < 400 && unblocked == 0; i++) {
		while (read(rfd, junk, sizeof(junk)) > 0)
			;
		CHECK(unblocked == 1 || !out_takes(o));
		run_until(l, &unblocked, 1, 5);
	}
	CHECK(unblocked == 1 && out_takes(o) && rw_pending(out_w(o)) == 0);
	CHECK(out_stalled_ms(o) == 0);

	/* at exit, a reader that takes nothing: given up after the bound */
	for (int i = 0; i < 1000 && out_takes(o); i++)
		put(o, 200);
	t0 = ev_now();
	CHECK(out_drain_idle(o, 200) == -1);
	CHECK(ev_now() - t0 >= 200 && ev_now() - t0 < 600);
	/* one that keeps reading, slowly, gets it all, for longer than the
	 * bound: it counts from the last progress */
	pid_t pid = fork();
	if (pid == 0) {
		ssize_t n;
		/* (not a writer of the FIFO: its end comes with ours) */
		for (int fd = 3; fd < 256; fd++)
			if (fd != rfd)
				close(fd);
		do {
			usleep(30 * 1000);
			n = read(rfd, junk, 8192);
		} while (n != 0);
		_exit(0);
	}
	close(rfd);
	t0 = ev_now();
	CHECK(out_drain_idle(o, 150) == 0 && rw_pending(out_w(o)) == 0);
	CHECK(ev_now() - t0 > 150);
	CHECK(failed == 0);
	out_free(o);
	waitpid(pid, NULL, 0);
	ev_free(l);
}

int main(void)
{
	char dir[] = "/tmp/test-out.XXXXXX", fifo[64], file[64];
	unit_name = "test-out";

	log_init("test-out");
	log_set_level(LOG_ERR);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	fifo_cases(fifo);
	file_cases(file);
	catch_up_cases(fifo);
	unlink(fifo);
	unlink(file);
	rmdir(dir);
	return unit_done();
}
