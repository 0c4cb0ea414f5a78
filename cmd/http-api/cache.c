/* A short-lived cache of prefix-rank's answers. A topprefixes query on a
 * full table costs prefix-rank tens of milliseconds of its one thread, the
 * thread that also runs the selection tick: without this, a few HTTP
 * clients polling hard would delay the FIB. The same question asked again
 * within --cache seconds gets the same answer (the rates move once a tick
 * anyway). While one request asks again, the others asking the same get
 * the answer it will replace, or wait for it when there is none yet,
 * instead of asking too. Answers that are errors are not kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ha.h"

#define CACHE_SLOTS 16
#define CACHE_MAX_ANSWER (4u << 20)

struct slot {
	char *key;                      /* path + "\n" + line */
	char *answer;
	size_t len;
	double at;                      /* when answered, monotonic seconds */
	bool busy;                      /* a request is asking for it */
	double used;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot s[CACHE_SLOTS];
	uint64_t hits, misses;
} c = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *copy(const struct slot *s, size_t *len)
{
	char *p = malloc(s->len + 1);

	if (p) {
		memcpy(p, s->answer, s->len + 1);
		*len = s->len;
	}
	return p;
}

/* The slot for key, or a free or least recently used idle one (emptied). */
static struct slot *slot_for(const char *key, bool *found)
{
	struct slot *victim = NULL;

	*found = false;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct slot *s = &c.s[i];
		if (s->key && !strcmp(s->key, key)) {
			*found = true;
			return s;
		}
		if (!s->busy && (!victim || !s->key || (victim->key && s->used < victim->used)))
			victim = s;
	}
	if (!victim)
		return NULL;
	free(victim->key);
	free(victim->answer);
	*victim = (struct slot){ 0 };
	return victim;
}

char *ctl_ask_cached(const char *path, const char *line, double timeout, double maxage,
		     size_t *len)
{
	size_t klen;
	char *key, *ans;
	double now = mono(), deadline = now + timeout;
	struct slot *s;
	bool found;
	int e;

	if (maxage <= 0 || !path)
		return ctl_ask(path, line, timeout, len);
	klen = strlen(path) + strlen(line) + 2;
	if (!(key = malloc(klen)))
		return NULL;
	strcpy(key, path);
	strcat(key, "\n");
	strcat(key, line);
	pthread_mutex_lock(&c.mu);
	for (;;) {
		s = slot_for(key, &found);
		if (!s)
			break;          /* every slot busy: ask without the cache */
		/* fresh; or someone is refreshing it, and the answer it
		 * replaces is still the newest there is */
		if (found && s->answer && (s->busy || mono() - s->at <= maxage)) {
			s->used = mono();
			c.hits++;
			ans = copy(s, len);
			pthread_mutex_unlock(&c.mu);
			free(key);
			return ans;
		}
		if (found && s->busy) {
			/* someone is asking: wait for the answer, not past our time */
			struct timespec ts;
			double left = deadline - mono();
			if (left <= 0)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)left;
			ts.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&c.cv, &c.mu, &ts);
			continue;
		}
		if (!found) {
			s->key = key;
			key = NULL;
		}
		s->busy = true;
		c.misses++;
		pthread_mutex_unlock(&c.mu);
		ans = ctl_ask(path, line, timeout, len);
		e = errno;
		pthread_mutex_lock(&c.mu);
		s->busy = false;
		if (ans && *len <= CACHE_MAX_ANSWER && !(*len > 8 && !memcmp(ans, "{\"error\"", 8))) {
			char *keep = malloc(*len + 1);
			if (keep) {
				memcpy(keep, ans, *len + 1);
				free(s->answer);
				s->answer = keep;
				s->len = *len;
				s->at = s->used = mono();
			}
		}
		pthread_cond_broadcast(&c.cv);
		pthread_mutex_unlock(&c.mu);
		free(key);
		errno = e;
		return ans;
	}
	pthread_mutex_unlock(&c.mu);
	free(key);
	return ctl_ask(path, line, timeout, len);
}

void cache_counts(uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&c.mu);
	*hits = c.hits;
	*misses = c.misses;
	pthread_mutex_unlock(&c.mu);
}
