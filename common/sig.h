/* Signals: SIGTERM/SIGINT ask for a clean stop, SIGHUP for a reload,
 * SIGPIPE is ignored (writes report EPIPE instead). A self-pipe wakes poll(). */
#ifndef AR_SIG_H
#define AR_SIG_H

#include <signal.h>
#include <stdbool.h>

int sig_init(void);
/* Read end of the self-pipe: add it to poll(), call sig_drain() when readable. */
int sig_fd(void);
void sig_drain(void);
bool sig_stop_requested(void);
/* True once per SIGHUP received. */
bool sig_take_reload(void);
/* Which signal asked for the stop (SIGTERM, SIGINT), 0 if none. */
int sig_stop_signal(void);

#endif
