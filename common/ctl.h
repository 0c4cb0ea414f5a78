/* Control sockets: a stage answers one request line with one JSON document
 * over a Unix stream socket; a client sends the line and prints the answer. */
#ifndef AR_CTL_H
#define AR_CTL_H

/* Listen on path (an old socket file there is removed): the non-blocking
 * listening fd, or -1 after logging why. */
int ctl_listen(const char *path);
/* Send one request, print the answer on stdout: 0, 1 when the answer is an
 * error object or there is none (logged), 2 for a path too long. */
int ctl_query(const char *path, const char *request);

#endif
