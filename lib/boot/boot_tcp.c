/*
 * boot_tcp.c - the TCP rendezvous bootstrap: accelerators of one job on several
 * hosts meet at PODFAB_RENDEZVOUS=HOST:PORT.
 *
 * Accelerator 0 (the root) listens there; every other accelerator connects,
 * retrying until the job's timeout, and says hello (magic, protocol version,
 * job name, id, size).  The root checks each hello, answers a wrong one with a
 * REJECT that the joiner prints, and once all n have joined tells everyone
 * ALLHERE and stops listening.  The connections form a star around the root:
 *
 *   allgather  every joiner sends CONTRIB(seq, blob); the root, with all n in,
 *              sends RESULT(seq, the n blobs) to every joiner.  A barrier is an
 *              allgather of 0 bytes.
 *   liveness   an end of file or error on a connection is a death.  The root
 *              tells the other joiners DEAD(id) so that their waits end too; a
 *              root that gives up (timeout, mismatch) sends ABORT(code, text).
 *   close      a joiner sends BYE and closes; the root shuts its side and
 *              reads until every joiner has closed (bounded), so that no
 *              unread byte turns its close into a reset that could destroy a
 *              RESULT still on its way to a joiner.
 *
 * Messages are a 12-byte header (type, payload length, aux; network order)
 * and a payload.  Sockets are non-blocking; every wait is a poll() bounded by
 * the job's timeout.  Messages that arrive while nobody waits for them (a
 * joiner's next contribution, a DEAD notice) are kept in the connection's
 * state until asked for.  Buffers are sized once at open.  A joiner waits for
 * the root's verdict a little longer (TCP_GRACE_MS) than the timeout, so that
 * it prints the root's account (which accelerators are missing) rather than
 * its own.  There is no global state: several accelerators may live in one
 * process.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "pf_internal.h"

#define TCP_MAGIC 0x706f646661627431ull /* "podfabt1" */
#define TCP_VERSION 1u
#define HDR_LEN 12u
#define HELLO_LEN (8u + 4u + 4u + 4u + PF_JOB_MAX + 1u)
#define TEXT_MAX 1024u          /* REJECT, ABORT and DEAD texts */
#define ADDR_MAX 256u           /* the rendezvous string, as given */
#define PENDING_MAX 64          /* accepted connections that have not said hello */
#define CHECK_NS 50000000ull    /* check_peers looks at the sockets this often */
#define TCP_GRACE_MS 1000u      /* a joiner waits this much longer for the root's verdict */
#define CLOSE_MAX_MS 2000u      /* the root waits at most this long for goodbyes */
#define RETRY_MIN_MS 10
#define RETRY_MAX_MS 200

enum msg_type {
	M_HELLO = 1, /* joiner -> root: magic, version, id, n, job */
	M_REJECT,    /* root -> joiner: aux = error code, payload = text */
	M_ALLHERE,   /* root -> joiner: the job has assembled */
	M_CONTRIB,   /* joiner -> root: aux = seq, payload = blob */
	M_RESULT,    /* root -> joiner: aux = seq, payload = n blobs */
	M_DEAD,      /* root -> joiner: aux = id of a dead accelerator, payload = text */
	M_ABORT,     /* root -> joiner: aux = error code, payload = text */
	M_BYE        /* joiner -> root: leaving after the last collective */
};

enum conn_state {
	C_EMPTY,  /* no connection */
	C_LIVE,   /* connected */
	C_GONE,   /* said BYE (and may have closed) */
	C_DEAD    /* closed or failed without BYE */
};

struct conn {
	int fd;
	int state;
	int err;      /* errno of the failure, 0 for an end of file */
	int notified; /* root: the others have been told that this one died */
	size_t have;  /* bytes in rx */
	size_t cap;
	uint8_t *rx;
	/* root: the joiner's contribution that has arrived and not been used */
	int has_contrib;
	uint32_t contrib_seq;
	uint32_t contrib_len;
	uint8_t contrib[PF_BOOT_BLOB];
};

struct pf_boot {
	void (*idle)(void *arg); /* set_idle: called while collectives wait */
	void *idle_arg;
	int id;
	int n;
	uint32_t timeout_ms;
	uint32_t seq;
	char job[PF_JOB_MAX + 1];
	char addr[ADDR_MAX]; /* PODFAB_RENDEZVOUS as given, for messages */
	char host[ADDR_MAX];
	char port[8];
	uint64_t last_check_ns;
	int failed;          /* a collective failed: the job's collectives are out of step */
	struct pollfd *pfds;
	uint8_t *tx;         /* one outgoing message: header and the largest payload */
	size_t tx_cap;
	/* root */
	int listen_fd;
	int wildcard;        /* HOST is not ours: listening on every address */
	struct conn *peers;  /* [n], index = accelerator id; [0] unused */
	struct conn *pending; /* [PENDING_MAX] */
	uint8_t *rx_arena;
	/* joiner */
	struct conn root;
	int all_here;
	int rejected;        /* REJECT or ABORT: code in verdict_code, text in verdict */
	int verdict_code;
	char verdict[TEXT_MAX + 1];
	int dead_id;         /* first DEAD notice, or -1 */
	char dead_text[TEXT_MAX + 1];
	int has_result;
	uint32_t result_seq;
	uint32_t result_len;
	uint8_t *result;     /* n * PF_BOOT_BLOB */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Milliseconds left until deadline, for poll(): 0 when past. */
static int ms_left(uint64_t deadline)
{
	uint64_t t = now_ns();
	if (t >= deadline)
		return 0;
	uint64_t ms = (deadline - t + 999999ull) / 1000000ull;
	return ms > 1000000ull ? 1000000 : (int)ms;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000l};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void set_nodelay(int fd)
{
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * PODFAB_RENDEZVOUS: HOST:PORT, [IPV6]:PORT.  HOST is a name or an IPv4
 * literal; an IPv6 literal needs its brackets.  PORT is 1..65535.
 */
static int parse_rendezvous(struct pf_boot *b, const char *s)
{
	if (!s || !*s)
		return pf_err(PODFAB_EENV, "the tcp bootstrap needs PODFAB_RENDEZVOUS=HOST:PORT (accelerator 0 listens there)");
	if (strlen(s) >= ADDR_MAX)
		return pf_err(PODFAB_EENV, "PODFAB_RENDEZVOUS is longer than %u characters", ADDR_MAX - 1);
	snprintf(b->addr, sizeof b->addr, "%s", s);
	const char *port;
	size_t hlen;
	if (s[0] == '[') {
		const char *close_br = strchr(s, ']');
		if (!close_br)
			return pf_err(PODFAB_EENV, "PODFAB_RENDEZVOUS='%s': '[' without ']' (write [IPV6]:PORT)", s);
		if (close_br[1] != ':')
			return pf_err(PODFAB_EENV, "PODFAB_RENDEZVOUS='%s': expected ':PORT' after ']'", s);
		hlen = (size_t)(close_br - s - 1);
		memcpy(b->host, s + 1, hlen);
		port = close_br + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon)
			return pf_err(PODFAB_EENV, "PODFAB_RENDEZVOUS='%s' has no port: expected HOST:PORT", s);
		if (memchr(s, ':', (size_t)(colon - s)))
			return pf_err(PODFAB_EENV, "PODFAB_RENDEZVOUS='%s': write an IPv6 address in brackets, [ADDR]:PORT",
				      s);
		hlen = (size_t)(colon - s);
		memcpy(b->host, s, hlen);
		port = colon + 1;
	}
	b->host[hlen] = '\0';
	if (hlen == 0)
		return pf_err(PODFAB_EENV, "PODFAB_RENDEZVOUS='%s' has no host: expected HOST:PORT", s);
	char *end = NULL;
	errno = 0;
	long p = strtol(port, &end, 10);
	if (!*port || *end || errno || port[0] == '-' || port[0] == '+' || p < 1 || p > 65535)
		return pf_err(PODFAB_EENV, "PODFAB_RENDEZVOUS='%s': the port must be a number from 1 to 65535", s);
	snprintf(b->port, sizeof b->port, "%ld", p);
	return 0;
}

static int resolve(struct pf_boot *b, int passive, uint64_t deadline, struct addrinfo **out)
{
	struct addrinfo hints;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	for (;;) {
		int rc = getaddrinfo(b->host, b->port, &hints, out);
		if (rc == 0)
			return 0;
		if (rc == EAI_AGAIN && now_ns() < deadline) {
			sleep_ms(RETRY_MAX_MS);
			continue;
		}
		if (rc == EAI_SYSTEM)
			return pf_err(PODFAB_ESYSTEM, "rendezvous %s: cannot resolve host '%s': %s", b->addr, b->host,
				      strerror(errno));
		return pf_err(PODFAB_EENV, "rendezvous %s: cannot resolve host '%s': %s", b->addr, b->host,
			      gai_strerror(rc));
	}
}

/* ------------------------------------------------------------------ */
/* Sending and receiving                                               */
/* ------------------------------------------------------------------ */

/* Write len bytes, waiting (poll) while the socket is full; 0 or -errno. */
static int send_all(int fd, const uint8_t *p, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int left = ms_left(deadline);
			if (!left)
				return -ETIMEDOUT;
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (poll(&pfd, 1, left) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		return w < 0 ? -errno : -EPIPE;
	}
	return 0;
}

static void put_hdr(uint8_t *p, uint32_t type, uint32_t len, uint32_t aux)
{
	put32(p, type);
	put32(p + 4, len);
	put32(p + 8, aux);
}

/* One message with a small payload (at most TEXT_MAX bytes). */
static int send_small(int fd, uint32_t type, uint32_t aux, const void *payload, size_t len, uint64_t deadline)
{
	uint8_t m[HDR_LEN + TEXT_MAX];
	if (len > TEXT_MAX)
		len = TEXT_MAX;
	put_hdr(m, type, (uint32_t)len, aux);
	if (len)
		memcpy(m + HDR_LEN, payload, len);
	return send_all(fd, m, HDR_LEN + len, deadline);
}

static int send_text(int fd, uint32_t type, uint32_t aux, const char *text, uint64_t deadline)
{
	return send_small(fd, type, aux, text, strlen(text), deadline);
}

/*
 * Read what the socket holds (without blocking) and hand every complete
 * message to take().  Marks the connection C_DEAD on an end of file (unless it
 * said BYE: then C_GONE stays) or an error, and on a malformed message.
 */
typedef void (*take_fn)(struct pf_boot *b, struct conn *c, uint32_t type, uint32_t aux, const uint8_t *p,
			uint32_t len);

static void pump(struct pf_boot *b, struct conn *c, take_fn take)
{
	while (c->fd >= 0) {
		if (c->have == c->cap) { /* a message larger than any we expect */
			c->err = EPROTO;
			c->state = C_DEAD;
			conn_close(c);
			return;
		}
		ssize_t r = recv(c->fd, c->rx + c->have, c->cap - c->have, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			c->err = r < 0 ? errno : 0;
			if (c->state != C_GONE)
				c->state = C_DEAD;
			conn_close(c);
			return;
		}
		c->have += (size_t)r;
		size_t off = 0;
		while (c->have - off >= HDR_LEN) {
			uint32_t type = get32(c->rx + off), len = get32(c->rx + off + 4), aux = get32(c->rx + off + 8);
			if (len > c->cap - HDR_LEN) {
				c->err = EPROTO;
				c->state = C_DEAD;
				conn_close(c);
				return;
			}
			if (c->have - off < HDR_LEN + len)
				break;
			take(b, c, type, aux, c->rx + off + HDR_LEN, len);
			if (c->state == C_DEAD || c->fd < 0)
				return; /* closed, or handed on (a hello) */
			off += HDR_LEN + len;
		}
		if (off) {
			memmove(c->rx, c->rx + off, c->have - off);
			c->have -= off;
		}
	}
}

static void copy_text(char *dst, const uint8_t *p, uint32_t len)
{
	size_t n = len > TEXT_MAX ? TEXT_MAX : len;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* What the root hears from a joined accelerator. */
static void root_take(struct pf_boot *b, struct conn *c, uint32_t type, uint32_t aux, const uint8_t *p, uint32_t len)
{
	(void)b;
	if (type == M_CONTRIB && len <= PF_BOOT_BLOB && !c->has_contrib) {
		c->has_contrib = 1;
		c->contrib_seq = aux;
		c->contrib_len = len;
		memcpy(c->contrib, p, len);
		return;
	}
	if (type == M_BYE) {
		c->state = C_GONE;
		return;
	}
	c->err = EPROTO; /* out of step or not ours */
	c->state = C_DEAD;
	conn_close(c);
}

/* What a joiner hears from the root. */
static void joiner_take(struct pf_boot *b, struct conn *c, uint32_t type, uint32_t aux, const uint8_t *p,
			uint32_t len)
{
	switch (type) {
	case M_ALLHERE:
		b->all_here = 1;
		return;
	case M_REJECT:
	case M_ABORT:
		if (!b->rejected) {
			b->rejected = (int)type;
			b->verdict_code = aux >= 1 && aux < 1000 ? (int)aux : PODFAB_EPEERDEAD;
			copy_text(b->verdict, p, len);
		}
		return;
	case M_DEAD:
		if (b->dead_id < 0 && aux < (uint32_t)b->n) {
			b->dead_id = (int)aux;
			copy_text(b->dead_text, p, len);
		}
		return;
	case M_RESULT:
		if (!b->has_result && len <= (uint32_t)b->n * PF_BOOT_BLOB && len % (uint32_t)b->n == 0) {
			b->has_result = 1;
			b->result_seq = aux;
			b->result_len = len / (uint32_t)b->n;
			memcpy(b->result, p, len);
			return;
		}
		break;
	default:
		break;
	}
	c->err = EPROTO;
	c->state = C_DEAD;
	conn_close(c);
}

/*
 * Wait up to ms for input on the live connections (root: every joiner; joiner:
 * the root) and take it.  ms 0: look without waiting.
 */
static void poll_conns(struct pf_boot *b, int ms)
{
	if (b->idle) { /* keep the transport moving: wait in short steps */
		b->idle(b->idle_arg);
		if (ms > 1)
			ms = 1;
	}
	int np = 0;
	if (b->id == 0) {
		for (int i = 1; i < b->n; i++)
			if (b->peers[i].fd >= 0)
				b->pfds[np++] = (struct pollfd){.fd = b->peers[i].fd, .events = POLLIN};
	} else if (b->root.fd >= 0) {
		b->pfds[np++] = (struct pollfd){.fd = b->root.fd, .events = POLLIN};
	}
	if (np == 0) {
		if (ms > 0)
			sleep_ms(ms);
		return;
	}
	int r = poll(b->pfds, (nfds_t)np, ms);
	if (r <= 0)
		return;
	if (b->id != 0) {
		if (b->pfds[0].revents)
			pump(b, &b->root, joiner_take);
		return;
	}
	int k = 0;
	for (int i = 1; i < b->n && k < np; i++) {
		if (b->peers[i].fd < 0)
			continue;
		if (b->pfds[k].fd == b->peers[i].fd && b->pfds[k].revents)
			pump(b, &b->peers[i], root_take);
		k++;
	}
}

/* Root: send one message to every joiner still connected, except skip. */
static void root_tell_all(struct pf_boot *b, uint32_t type, uint32_t aux, const char *text, int skip)
{
	uint64_t deadline = now_ns() + 1000000000ull;
	for (int i = 1; i < b->n; i++)
		if (i != skip && b->peers[i].fd >= 0 && b->peers[i].state == C_LIVE)
			(void)send_text(b->peers[i].fd, type, aux, text, deadline);
}

/* Root: a death, said once to the other joiners; returns the error for the caller. */
static int root_report_dead(struct pf_boot *b, int i)
{
	struct conn *c = &b->peers[i];
	char text[TEXT_MAX];
	if (c->state == C_GONE)
		snprintf(text, sizeof text, "accelerator %d left the job (finalized) while accelerator %d waits for it", i,
			 b->id);
	else if (c->err == EPROTO)
		snprintf(text, sizeof text, "accelerator %d sent the rendezvous root a message out of step; dropped it", i);
	else if (c->err)
		snprintf(text, sizeof text, "accelerator %d died: its connection to the rendezvous root failed (%s)", i,
			 strerror(c->err));
	else
		snprintf(text, sizeof text, "accelerator %d died: it closed its connection to the rendezvous root", i);
	if (!c->notified) {
		c->notified = 1;
		root_tell_all(b, M_DEAD, (uint32_t)i, text, i);
	}
	return pf_err(PODFAB_EPEERDEAD, "%s", text);
}

/* Root: the first joiner that has died or left, or 0. */
static int root_first_dead(struct pf_boot *b)
{
	for (int i = 1; i < b->n; i++)
		if (b->peers[i].state == C_DEAD || b->peers[i].state == C_GONE)
			return i;
	return 0;
}

/* Joiner: the error for what it knows has gone wrong, or 0. */
static int joiner_trouble(struct pf_boot *b)
{
	if (b->rejected)
		return pf_err(b->verdict_code, "the rendezvous root (accelerator 0) gave up: %s", b->verdict);
	if (b->dead_id >= 0)
		return pf_err(PODFAB_EPEERDEAD, "%s (reported by the rendezvous root)", b->dead_text);
	if (b->root.state == C_DEAD) {
		if (b->root.err == EPROTO)
			return pf_err(PODFAB_EPEERDEAD, "the rendezvous root (accelerator 0 at %s) sent a message out of step",
				      b->addr);
		if (b->root.err)
			return pf_err(PODFAB_EPEERDEAD, "accelerator 0 (the rendezvous root at %s) died: connection failed (%s)",
				      b->addr, strerror(b->root.err));
		return pf_err(PODFAB_EPEERDEAD, "accelerator 0 (the rendezvous root at %s) died: it closed the connection",
			      b->addr);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Open                                                                */
/* ------------------------------------------------------------------ */

static void boot_free(struct pf_boot *b)
{
	if (!b)
		return;
	if (b->listen_fd >= 0)
		close(b->listen_fd);
	if (b->peers)
		for (int i = 0; i < b->n; i++)
			conn_close(&b->peers[i]);
	if (b->pending)
		for (int i = 0; i < PENDING_MAX; i++)
			conn_close(&b->pending[i]);
	conn_close(&b->root);
	free(b->peers);
	free(b->pending);
	free(b->rx_arena);
	free(b->root.rx);
	free(b->result);
	free(b->pfds);
	free(b->tx);
	free(b);
}

static int root_listen(struct pf_boot *b, uint64_t deadline)
{
	struct addrinfo *ai = NULL;
	int rc = resolve(b, 1, deadline, &ai);
	if (rc)
		return rc;
	int err = 0;
	for (int pass = 0; pass < 2 && b->listen_fd < 0; pass++) {
		for (struct addrinfo *a = ai; a; a = a->ai_next) {
			int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int one = 1;
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
			struct sockaddr_storage ss;
			memcpy(&ss, a->ai_addr, a->ai_addrlen);
			if (pass == 1) {
				/*
				 * HOST is not an address of this host (a name that resolves
				 * elsewhere, NAT): listen on every address at PORT.
				 */
				if (a->ai_family == AF_INET)
					((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
				else if (a->ai_family == AF_INET6)
					((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
			}
			if (bind(fd, (struct sockaddr *)&ss, a->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
				b->listen_fd = fd;
				if (pass == 1) {
					b->wildcard = 1;
					pf_log(PF_LOG_WARN, "rendezvous %s is not an address of this host: listening on every address at port %s",
					       b->addr, b->port);
				}
				break;
			}
			err = errno;
			close(fd);
			if (err != EADDRNOTAVAIL)
				pass = 2; /* in use, permission: the wildcard would not help */
		}
	}
	freeaddrinfo(ai);
	if (b->listen_fd < 0) {
		if (err == EADDRINUSE)
			return pf_err(PODFAB_ESYSTEM,
				      "accelerator 0 cannot listen on rendezvous %s: %s (another job's rendezvous, or another program, uses the port)",
				      b->addr, strerror(err));
		return pf_err(PODFAB_ESYSTEM, "accelerator 0 cannot listen on rendezvous %s: %s", b->addr, strerror(err));
	}
	return 0;
}

/* Root: check a hello; on success the connection becomes peers[id]. */
static void root_hello(struct pf_boot *b, struct conn *c, uint32_t type, uint32_t aux, const uint8_t *p, uint32_t len)
{
	(void)aux;
	char why[TEXT_MAX];
	int code = PODFAB_EMISMATCH;
	uint64_t deadline = now_ns() + 1000000000ull;
	if (type != M_HELLO || len < 12 || get64(p) != TCP_MAGIC) {
		/* Not a podfab joiner: drop it without a word. */
		c->state = C_DEAD;
		conn_close(c);
		return;
	}
	uint32_t ver = get32(p + 8), id = 0, n = 0;
	char job[PF_JOB_MAX + 1] = "";
	if (ver == TCP_VERSION && len == HELLO_LEN) {
		id = get32(p + 12);
		n = get32(p + 16);
		memcpy(job, p + 20, PF_JOB_MAX);
		job[PF_JOB_MAX] = '\0';
	}
	if (ver != TCP_VERSION || len != HELLO_LEN) {
		snprintf(why, sizeof why, "protocol version %u, but the root speaks version %u (mixed podfab versions?)",
			 ver, TCP_VERSION);
	} else if (strcmp(job, b->job)) {
		snprintf(why, sizeof why, "this rendezvous serves job '%s', not job '%.48s' (give every host the same job name)",
			 b->job, job);
	} else if (n != (uint32_t)b->n) {
		snprintf(why, sizeof why, "job '%s' has %d accelerators, but accelerator %u says %u", b->job, b->n, id, n);
	} else if (id == 0 || id >= n) {
		snprintf(why, sizeof why, "accelerator id %u is not in 1..%d", id, b->n - 1);
	} else if (b->peers[id].state != C_EMPTY) {
		snprintf(why, sizeof why, "accelerator %u of job '%s' has already joined (two launchers gave out the same id?)",
			 id, b->job);
	} else {
		struct conn *d = &b->peers[id];
		d->fd = c->fd;
		d->state = C_LIVE;
		c->fd = -1;
		c->state = C_EMPTY;
		c->have = 0;
		return;
	}
	(void)send_text(c->fd, M_REJECT, (uint32_t)code, why, deadline);
	pf_log(PF_LOG_WARN, "rendezvous %s: rejected a joiner: %s", b->addr, why);
	c->state = C_DEAD;
	conn_close(c);
}

/* Root: the ids that have not joined, "2, 5, 7" (shortened when long). */
static void missing_list(struct pf_boot *b, char *buf, size_t len, int *count)
{
	size_t used = 0;
	*count = 0;
	buf[0] = '\0';
	for (int i = 1; i < b->n; i++) {
		if (b->peers[i].state != C_EMPTY)
			continue;
		if (++*count <= 16 && used < len) {
			int w = snprintf(buf + used, len - used, "%s%d", used ? ", " : "", i);
			used += w > 0 ? (size_t)w : 0;
		}
	}
	if (*count > 16 && used < len)
		snprintf(buf + used, len - used, " and %d more", *count - 16);
}

static int root_assemble(struct pf_boot *b, uint64_t deadline)
{
	int joined = 0;
	for (;;) {
		if (joined == b->n - 1)
			break;
		int np = 0, npend = 0;
		for (int i = 0; i < PENDING_MAX; i++)
			if (b->pending[i].fd >= 0)
				npend++;
		if (npend < PENDING_MAX)
			b->pfds[np++] = (struct pollfd){.fd = b->listen_fd, .events = POLLIN};
		for (int i = 0; i < PENDING_MAX; i++)
			if (b->pending[i].fd >= 0)
				b->pfds[np++] = (struct pollfd){.fd = b->pending[i].fd, .events = POLLIN};
		for (int i = 1; i < b->n; i++)
			if (b->peers[i].fd >= 0)
				b->pfds[np++] = (struct pollfd){.fd = b->peers[i].fd, .events = POLLIN};
		int left = ms_left(deadline);
		if (!left) {
			char list[TEXT_MAX / 2];
			int count;
			missing_list(b, list, sizeof list, &count);
			char text[TEXT_MAX];
			snprintf(text, sizeof text,
				 "job '%s' did not assemble at rendezvous %s within %u ms: accelerator%s %s of %d never connected%s",
				 b->job, b->addr, b->timeout_ms, count == 1 ? "" : "s", list, b->n,
				 b->wildcard ? " (the rendezvous host is not this host, where accelerator 0 runs: is it the right host?)"
					     : "");
			root_tell_all(b, M_ABORT, PODFAB_ETIMEDOUT, text, 0);
			return pf_err(PODFAB_ETIMEDOUT, "%s", text);
		}
		int r = poll(b->pfds, (nfds_t)np, left);
		if (r < 0 && errno != EINTR)
			return pf_err(PODFAB_ESYSTEM, "rendezvous %s: poll: %s", b->addr, strerror(errno));
		if (r <= 0)
			continue;
		/* New connections. */
		for (;;) {
			int slot = -1;
			for (int i = 0; i < PENDING_MAX && slot < 0; i++)
				if (b->pending[i].fd < 0)
					slot = i;
			if (slot < 0)
				break;
			int fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				if (errno == EMFILE || errno == ENFILE)
					pf_log(PF_LOG_WARN, "rendezvous %s: accept: %s (raise the open-file limit, ulimit -n, for large jobs)",
					       b->addr, strerror(errno));
				break;
			}
			set_nodelay(fd);
			struct conn *c = &b->pending[slot];
			c->fd = fd;
			c->state = C_LIVE;
			c->have = 0;
		}
		/* Hellos. */
		for (int i = 0; i < PENDING_MAX; i++) {
			struct conn *c = &b->pending[i];
			if (c->fd < 0)
				continue;
			pump(b, c, root_hello);
			if (c->fd < 0 || c->state == C_DEAD) {
				conn_close(c);
				c->state = C_EMPTY;
				c->have = 0;
			}
		}
		/* A joiner that dies before everyone is here fails the job now. */
		joined = 0;
		for (int i = 1; i < b->n; i++) {
			struct conn *c = &b->peers[i];
			if (c->state == C_EMPTY)
				continue;
			if (c->fd >= 0)
				pump(b, c, root_take);
			if (c->state != C_LIVE) {
				char text[TEXT_MAX];
				snprintf(text, sizeof text,
					 "accelerator %d joined job '%s' at rendezvous %s and then closed its connection before the job assembled",
					 i, b->job, b->addr);
				root_tell_all(b, M_ABORT, PODFAB_EPEERDEAD, text, i);
				return pf_err(PODFAB_EPEERDEAD, "%s", text);
			}
			joined++;
		}
	}
	/* Everyone is here: stop listening, and say so. */
	close(b->listen_fd);
	b->listen_fd = -1;
	for (int i = 0; i < PENDING_MAX; i++) {
		conn_close(&b->pending[i]);
		b->pending[i].state = C_EMPTY;
	}
	for (int i = 1; i < b->n; i++) {
		int rc = send_small(b->peers[i].fd, M_ALLHERE, 0, NULL, 0, deadline + 1000000000ull);
		if (rc < 0) {
			char text[TEXT_MAX];
			snprintf(text, sizeof text, "accelerator %d of job '%s' was lost as the job assembled: %s", i, b->job,
				 strerror(-rc));
			root_tell_all(b, M_ABORT, PODFAB_EPEERDEAD, text, i);
			return pf_err(PODFAB_EPEERDEAD, "%s", text);
		}
	}
	return 0;
}

/* Joiner: connect to the root, retrying while it is not there yet. */
static int joiner_connect(struct pf_boot *b, uint64_t deadline)
{
	struct addrinfo *ai = NULL;
	int rc = resolve(b, 0, deadline, &ai);
	if (rc)
		return rc;
	int err = 0, delay = RETRY_MIN_MS;
	while (b->root.fd < 0) {
		for (struct addrinfo *a = ai; a && b->root.fd < 0; a = a->ai_next) {
			int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int r = connect(fd, a->ai_addr, a->ai_addrlen);
			if (r < 0 && errno == EINPROGRESS) {
				/* One attempt waits at most 2 s: another address may answer. */
				struct pollfd pfd = {.fd = fd, .events = POLLOUT};
				uint64_t until = now_ns() + 2000000000ull;
				if (until > deadline)
					until = deadline;
				while ((r = poll(&pfd, 1, ms_left(until))) < 0 && errno == EINTR)
					;
				if (r == 0) {
					err = ETIMEDOUT;
					r = -1;
				} else if (r > 0) {
					int soerr = 0;
					socklen_t sl = sizeof soerr;
					if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
						soerr = errno;
					r = soerr ? -1 : 0;
					err = soerr;
				} else {
					err = errno;
				}
			} else if (r < 0) {
				err = errno;
			}
			if (r == 0) {
				set_nodelay(fd);
				b->root.fd = fd;
				b->root.state = C_LIVE;
			} else {
				close(fd);
			}
		}
		if (b->root.fd >= 0)
			break;
		int left = ms_left(deadline);
		if (!left) {
			freeaddrinfo(ai);
			return pf_err(PODFAB_ETIMEDOUT,
				      "accelerator %d of job '%s' could not reach the rendezvous root (accelerator 0) at %s within %u ms: %s",
				      b->id, b->job, b->addr, b->timeout_ms, strerror(err ? err : ETIMEDOUT));
		}
		sleep_ms(delay < left ? delay : left);
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
	freeaddrinfo(ai);
	uint8_t hello[HELLO_LEN];
	memset(hello, 0, sizeof hello);
	put64(hello, TCP_MAGIC);
	put32(hello + 8, TCP_VERSION);
	put32(hello + 12, (uint32_t)b->id);
	put32(hello + 16, (uint32_t)b->n);
	memcpy(hello + 20, b->job, strlen(b->job));
	rc = send_small(b->root.fd, M_HELLO, 0, hello, sizeof hello, now_ns() + (uint64_t)b->timeout_ms * 1000000ull);
	if (rc < 0)
		return pf_err(PODFAB_EPEERDEAD, "accelerator %d: cannot send its hello to the rendezvous root at %s: %s", b->id,
			      b->addr, strerror(-rc));
	return 0;
}

static int joiner_assemble(struct pf_boot *b)
{
	uint64_t deadline = now_ns() + (uint64_t)(b->timeout_ms + TCP_GRACE_MS) * 1000000ull;
	for (;;) {
		if (b->rejected == M_REJECT)
			return pf_err(b->verdict_code, "the rendezvous root at %s rejected accelerator %d: %s", b->addr, b->id,
				      b->verdict);
		int rc = joiner_trouble(b);
		if (rc)
			return rc;
		if (b->all_here)
			return 0;
		int left = ms_left(deadline);
		if (!left)
			return pf_err(PODFAB_ETIMEDOUT,
				      "accelerator %d joined the rendezvous root at %s, but job '%s' did not assemble within %u ms (the root never answered)",
				      b->id, b->addr, b->job, b->timeout_ms);
		poll_conns(b, left);
	}
}

static int boot_open(const char *job, int id, int n, uint32_t timeout_ms, struct pf_boot **out)
{
	if (n < 1 || id < 0 || id >= n)
		return pf_err(PODFAB_EINVAL, "tcp bootstrap: accelerator %d of %d", id, n);
	struct pf_boot *b = calloc(1, sizeof *b);
	if (!b)
		return pf_err(PODFAB_ENOMEM, "bootstrap state");
	b->id = id;
	b->n = n;
	b->timeout_ms = timeout_ms;
	b->listen_fd = -1;
	b->root.fd = -1;
	b->dead_id = -1;
	snprintf(b->job, sizeof b->job, "%s", job);
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int rc = parse_rendezvous(b, getenv("PODFAB_RENDEZVOUS"));
	if (rc)
		goto fail;

	size_t blobs = (size_t)n * PF_BOOT_BLOB;
	b->tx_cap = HDR_LEN + blobs;
	b->tx = malloc(b->tx_cap);
	if (id == 0) {
		size_t rx = HDR_LEN + (HELLO_LEN > PF_BOOT_BLOB ? HELLO_LEN : PF_BOOT_BLOB);
		b->peers = calloc((size_t)n, sizeof *b->peers);
		b->pending = calloc(PENDING_MAX, sizeof *b->pending);
		b->rx_arena = malloc(((size_t)n + PENDING_MAX) * rx);
		b->pfds = calloc((size_t)n + PENDING_MAX + 1, sizeof *b->pfds);
		if (!b->tx || !b->peers || !b->pending || !b->rx_arena || !b->pfds) {
			rc = pf_err(PODFAB_ENOMEM, "tcp bootstrap buffers for %d accelerators", n);
			goto fail;
		}
		for (int i = 0; i < n; i++)
			b->peers[i] = (struct conn){.fd = -1, .cap = rx, .rx = b->rx_arena + (size_t)i * rx};
		for (int i = 0; i < PENDING_MAX; i++)
			b->pending[i] = (struct conn){.fd = -1, .cap = rx, .rx = b->rx_arena + ((size_t)n + (size_t)i) * rx};
		b->peers[0].state = C_LIVE; /* ourselves */
		if (n > 1 && (rc = root_listen(b, deadline)))
			goto fail;
		if (n > 1 && (rc = root_assemble(b, deadline)))
			goto fail;
		if (b->listen_fd >= 0) {
			close(b->listen_fd);
			b->listen_fd = -1;
		}
	} else {
		b->root.cap = HDR_LEN + (blobs > TEXT_MAX ? blobs : TEXT_MAX);
		b->root.rx = malloc(b->root.cap);
		b->result = malloc(blobs);
		b->pfds = calloc(1, sizeof *b->pfds);
		if (!b->tx || !b->root.rx || !b->result || !b->pfds) {
			rc = pf_err(PODFAB_ENOMEM, "tcp bootstrap buffers for %d accelerators", n);
			goto fail;
		}
		if ((rc = joiner_connect(b, deadline)) || (rc = joiner_assemble(b)))
			goto fail;
	}
	*out = b;
	return 0;
fail:
	boot_free(b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Collectives                                                         */
/* ------------------------------------------------------------------ */

static int root_allgather(struct pf_boot *b, uint32_t seq, const void *in, size_t len, void *out)
{
	uint64_t deadline = now_ns() + (uint64_t)b->timeout_ms * 1000000ull;
	uint8_t *gathered = b->tx + HDR_LEN;
	for (;;) {
		int missing = -1, count = 0;
		for (int i = 1; i < b->n; i++) {
			struct conn *c = &b->peers[i];
			if (c->has_contrib && c->contrib_seq != seq) {
				char text[TEXT_MAX];
				snprintf(text, sizeof text,
					 "accelerator %d is in collective call #%u of job '%s', accelerator 0 in #%u (out of step)",
					 i, c->contrib_seq, b->job, seq);
				root_tell_all(b, M_ABORT, PODFAB_EMISMATCH, text, 0);
				return pf_err(PODFAB_EMISMATCH, "%s", text);
			}
			if (!c->has_contrib) {
				if (missing < 0)
					missing = i;
				count++;
			}
		}
		if (missing < 0)
			break;
		for (int i = 1; i < b->n; i++)
			if (!b->peers[i].has_contrib && (b->peers[i].state == C_DEAD || b->peers[i].state == C_GONE))
				return root_report_dead(b, i);
		int left = ms_left(deadline);
		if (!left) {
			char text[TEXT_MAX];
			snprintf(text, sizeof text,
				 "accelerator 0 waited %u ms in a collective call of job '%s'; accelerator %d%s has not arrived",
				 b->timeout_ms, b->job, missing, count > 1 ? " (and others)" : "");
			root_tell_all(b, M_ABORT, PODFAB_ETIMEDOUT, text, 0);
			return pf_err(PODFAB_ETIMEDOUT, "%s", text);
		}
		poll_conns(b, left);
	}
	for (int i = 1; i < b->n; i++) {
		if (b->peers[i].contrib_len != len) {
			char text[TEXT_MAX];
			snprintf(text, sizeof text,
				 "collective call #%u of job '%s': accelerator %d contributed %u bytes, accelerator 0 %zu", seq,
				 b->job, i, b->peers[i].contrib_len, len);
			root_tell_all(b, M_ABORT, PODFAB_EMISMATCH, text, 0);
			return pf_err(PODFAB_EMISMATCH, "%s", text);
		}
	}
	if (len)
		memcpy(gathered, in, len);
	for (int i = 1; i < b->n; i++) {
		if (len)
			memcpy(gathered + (size_t)i * len, b->peers[i].contrib, len);
		b->peers[i].has_contrib = 0;
	}
	size_t total = (size_t)b->n * len;
	put_hdr(b->tx, M_RESULT, (uint32_t)total, seq);
	for (int i = 1; i < b->n; i++) {
		struct conn *c = &b->peers[i];
		if (c->fd < 0 || c->state != C_LIVE)
			continue; /* it contributed and died: the next wait notices */
		int rc = send_all(c->fd, b->tx, HDR_LEN + total, deadline + 1000000000ull);
		if (rc < 0) {
			c->err = -rc;
			c->state = C_DEAD;
			conn_close(c);
		}
	}
	if (out && len)
		memcpy(out, gathered, total);
	return 0;
}

static int joiner_allgather(struct pf_boot *b, uint32_t seq, const void *in, size_t len, void *out)
{
	int rc = joiner_trouble(b);
	if (rc)
		return rc;
	uint8_t *m = b->tx;
	put_hdr(m, M_CONTRIB, (uint32_t)len, seq);
	if (len)
		memcpy(m + HDR_LEN, in, len);
	uint64_t deadline = now_ns() + (uint64_t)(b->timeout_ms + TCP_GRACE_MS) * 1000000ull;
	rc = send_all(b->root.fd, m, HDR_LEN + len, deadline);
	if (rc < 0) {
		b->root.err = -rc;
		b->root.state = C_DEAD;
		conn_close(&b->root);
		return joiner_trouble(b);
	}
	for (;;) {
		if (b->has_result) {
			if (b->result_seq != seq || b->result_len != len)
				return pf_err(PODFAB_EMISMATCH,
					      "accelerator %d got the result of collective call #%u (%u bytes each) while in #%u (%zu bytes)",
					      b->id, b->result_seq, b->result_len, seq, len);
			b->has_result = 0;
			if (out && len)
				memcpy(out, b->result, (size_t)b->n * len);
			return 0;
		}
		if ((rc = joiner_trouble(b)))
			return rc;
		int left = ms_left(deadline);
		if (!left)
			return pf_err(PODFAB_ETIMEDOUT,
				      "accelerator %d waited %u ms in a collective call of job '%s'; the rendezvous root (accelerator 0 at %s) has not answered",
				      b->id, b->timeout_ms, b->job, b->addr);
		poll_conns(b, left);
	}
}

static int boot_allgather(struct pf_boot *b, const void *in, size_t len, void *out)
{
	if (len > PF_BOOT_BLOB)
		return pf_err(PODFAB_EINVAL, "bootstrap blob of %zu bytes exceeds %u", len, PF_BOOT_BLOB);
	if (b->failed)
		return pf_err(b->failed, "an earlier collective call of job '%s' failed; the bootstrap is out of step", b->job);
	uint32_t seq = ++b->seq;
	if (b->n == 1) {
		if (out && len)
			memcpy(out, in, len);
		return 0;
	}
	int rc = b->id == 0 ? root_allgather(b, seq, in, len, out) : joiner_allgather(b, seq, in, len, out);
	if (rc)
		b->failed = -rc;
	return rc;
}

static int boot_barrier(struct pf_boot *b)
{
	return boot_allgather(b, NULL, 0, NULL);
}

/* ------------------------------------------------------------------ */
/* Liveness and close                                                  */
/* ------------------------------------------------------------------ */

static int boot_check_peers(struct pf_boot *b)
{
	uint64_t t = now_ns();
	if (t - b->last_check_ns < CHECK_NS)
		return 0;
	b->last_check_ns = t;
	if (b->n == 1)
		return 0;
	poll_conns(b, 0);
	if (b->id != 0)
		return joiner_trouble(b);
	int i = root_first_dead(b);
	return i ? root_report_dead(b, i) : 0;
}

static void boot_close(struct pf_boot *b)
{
	if (!b)
		return;
	if (b->id == 0 && b->peers) {
		/* Shut our side, then read until every joiner has closed (bounded). */
		uint32_t ms = b->timeout_ms < CLOSE_MAX_MS ? b->timeout_ms : CLOSE_MAX_MS;
		uint64_t deadline = now_ns() + (uint64_t)ms * 1000000ull;
		for (int i = 1; i < b->n; i++)
			if (b->peers[i].fd >= 0)
				(void)shutdown(b->peers[i].fd, SHUT_WR);
		for (;;) {
			int nopen = 0;
			for (int i = 1; i < b->n; i++) {
				struct conn *c = &b->peers[i];
				if (c->fd >= 0) {
					c->has_contrib = 0; /* nobody will ask for it */
					nopen++;
				}
			}
			int left = ms_left(deadline);
			if (!nopen || !left)
				break;
			poll_conns(b, left);
		}
	} else if (b->id != 0 && b->root.fd >= 0) {
		(void)send_small(b->root.fd, M_BYE, 0, NULL, 0, now_ns() + 1000000000ull);
		(void)shutdown(b->root.fd, SHUT_WR);
		/* Read what is there so that our close is a clean one. */
		b->has_result = 0;
		poll_conns(b, 0);
	}
	boot_free(b);
}

static void tcp_set_idle(struct pf_boot *b, void (*fn)(void *arg), void *arg)
{
	b->idle = fn;
	b->idle_arg = arg;
}

const struct pf_boot_ops pf_boot_tcp_ops = {
	.set_idle = tcp_set_idle,
	.name = "tcp",
	.open = boot_open,
	.allgather = boot_allgather,
	.barrier = boot_barrier,
	.check_peers = boot_check_peers,
	.close = boot_close,
};
