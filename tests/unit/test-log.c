/* log.c: rate limiting and hex dumps; ev.c: timer order. */
#include <stdlib.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "sig.h"
#include "unit.h"

#include <signal.h>

static int order[4], norder, rearms;
static void rearm(struct ev_loop *l, void *arg)
{
	rearms++;
	ev_timer_after(l, arg, 0);      /* again "now": must wait for the next round */
}
static void fire(struct ev_loop *l, void *arg)
{
	(void)l;
	order[norder++] = (int)(long)arg;
}

int main(void)
{
	struct log_rl rl = { 0 };
	char buf[64];
	unit_name = "test-log";

	log_init("test-log");
	log_set_level(LOG_ERR);         /* keep the test quiet: count, don't print */
	for (int i = 0; i < 20; i++)
		log_rl(&rl, LOG_WARN, "message %d", i);
	CHECK(rl.in_window == LOG_RL_BURST);
	CHECK(rl.suppressed == 20 - LOG_RL_BURST);

	CHECK_STR(log_hex("\x01\xab\xff", 3, 16, buf, sizeof(buf)), "01 ab ff");
	CHECK_STR(log_hex("\x01\x02\x03\x04", 4, 2, buf, sizeof(buf)), "01 02 ...");
	enum log_level lvl;
	CHECK(log_level_parse("debug", &lvl) == 0 && lvl == LOG_DEBUG);
	CHECK(log_level_parse("loud", &lvl) == -1);

	struct ev_loop *l = ev_new();
	struct ev_timer a, b, c;
	ev_timer_init(&a, fire, (void *)1);
	ev_timer_init(&b, fire, (void *)2);
	ev_timer_init(&c, fire, (void *)3);
	ev_timer_after(l, &a, 30);
	ev_timer_after(l, &b, 10);
	ev_timer_after(l, &c, 20);
	ev_timer_stop(l, &c);
	ar_msec start = ev_now();
	while (norder < 2 && ev_now() - start < 1000)
		ev_run_once(l, 100);
	CHECK(norder == 2 && order[0] == 2 && order[1] == 1);
	CHECK(ev_now() - start >= 30);

	struct ev_timer busy;
	ev_timer_init(&busy, rearm, &busy);
	ev_timer_after(l, &busy, 0);
	ev_run_once(l, 0);
	CHECK(rearms == 1);
	ev_run_once(l, 0);
	CHECK(rearms == 2);
	ev_timer_stop(l, &busy);

	/* Signals: SIGHUP is a reload once, SIGTERM a stop that ends the loop;
	 * SIGPIPE is ignored so writes see EPIPE. */
	CHECK(sig_init() == 0);
	struct ev_loop *l2 = ev_new();
	raise(SIGHUP);
	CHECK(sig_take_reload());
	CHECK(!sig_take_reload());
	raise(SIGPIPE);
	CHECK(!sig_stop_requested());
	CHECK(ev_run_once(l2, 10) == 0);
	raise(SIGTERM);
	CHECK(sig_stop_requested() && sig_stop_signal() == SIGTERM);
	CHECK(ev_run_once(l2, 1000) == -1);
	ev_free(l2);
	ev_free(l);
	return unit_done();
}
