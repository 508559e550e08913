// The harness's TCP relay, put in front of a test node's sshd (sshNodes.ts builds and starts it).
// This kernel has no netem, so latency, stalls and drops come from here. In C because in a
// benchmark of 10 nodes on a 2-core machine every millisecond the relay burns is taken from the
// sshd processes and the client being measured.
//
//   relay LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
//   prints "listening PORT" when ready (LISTEN_PORT 0 picks a free port).
// Commands on stdin, one per line, each answered "ok CMD":
//   delay N   set the one-way delay in ms (applies to bytes read from now on)
//   stall     hold every byte (connections stay open, nothing arrives: like a hung link)
//   resume    deliver the held bytes and forward again
//   drop      discard every byte from now on (like a link that lost all packets)
//   pass      forward again (after drop)
//   reset     close every open connection
// Exits when stdin closes.
//
// One thread, epoll, a timerfd for the earliest due chunk. Each direction is a FIFO of chunks
// with a due time; an end of stream travels through the FIFO like data (shutdown after the
// delay); an error on either side closes both. Nagle is off on both sockets.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define HELD UINT64_MAX
#define MAX_QUEUED (8u << 20) /* stop reading a side while this much waits for the other */

struct chunk {
  struct chunk *next;
  uint64_t due; /* ns, CLOCK_MONOTONIC; HELD while stalled */
  size_t len, off;
  int eof; /* end of stream marker: shutdown(SHUT_WR) when delivered */
  char data[];
};

struct conn;
struct side {
  int fd;
  struct conn *c;
  struct side *peer;
  struct chunk *head, *tail; /* bytes read from this side, going to peer */
  size_t queued;
  int read_eof;  /* this side sent FIN (marker queued) */
  int wrote_eof; /* peer's FIN delivered to this side */
  int want_out;  /* EPOLLOUT armed */
  int registered; /* in the epoll set (removed when it wants nothing, so a HUP cannot spin) */
};

struct conn {
  struct side a, b; /* a: the client, b: upstream */
  int connecting;   /* upstream connect in progress */
  int dead;         /* closed; freed after the current batch of events */
  struct conn *next, *prev;
};

static int ep, tfd, lfd;
static uint64_t delay_ns;
static enum { PASS, STALL, DROP } mode = PASS;
static struct conn *conns, *graveyard;
static struct sockaddr_in target;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void arm(struct side *s) {
  struct epoll_event ev = {0};
  ev.data.ptr = s;
  /* read while the other way is not backed up; write while something is due and blocked */
  if (!s->read_eof && s->queued < MAX_QUEUED && !(s == &s->c->b && s->c->connecting)) ev.events |= EPOLLIN;
  if (s->want_out || (s == &s->c->b && s->c->connecting)) ev.events |= EPOLLOUT;
  if (!ev.events) {
    if (s->registered) epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
    s->registered = 0;
    return;
  }
  epoll_ctl(ep, s->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &ev);
  s->registered = 1;
}

static void free_queue(struct side *s) {
  while (s->head) {
    struct chunk *n = s->head->next;
    free(s->head);
    s->head = n;
  }
  s->tail = NULL;
  s->queued = 0;
}

static void close_conn(struct conn *c) {
  close(c->a.fd);
  close(c->b.fd);
  free_queue(&c->a);
  free_queue(&c->b);
  if (c->prev) c->prev->next = c->next;
  else conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->dead = 1;
  c->next = graveyard; /* events of this batch may still point at it */
  graveyard = c;
}

static void enqueue(struct side *s, const char *buf, size_t len, int eof) {
  struct chunk *k = malloc(sizeof *k + len);
  if (!k) abort();
  k->next = NULL;
  k->len = len;
  k->off = 0;
  k->eof = eof;
  k->due = mode == STALL ? HELD : now_ns() + delay_ns;
  if (len) memcpy(k->data, buf, len);
  if (s->tail) s->tail->next = k;
  else s->head = k;
  s->tail = k;
  s->queued += len;
}

/* Deliver what is due from s (read side) to its peer. Returns -1 when the conn was closed. */
static int flush(struct side *s, uint64_t t) {
  struct side *to = s->peer;
  if (s->c->connecting && to == &s->c->b) return 0;
  while (s->head && s->head->due <= t) {
    struct chunk *k = s->head;
    if (k->eof) {
      shutdown(to->fd, SHUT_WR);
      to->wrote_eof = 1;
    } else {
      while (k->off < k->len) {
        ssize_t n = send(to->fd, k->data + k->off, k->len - k->off, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!to->want_out) {
              to->want_out = 1;
              arm(to);
            }
            return 0;
          }
          close_conn(s->c);
          return -1;
        }
        k->off += (size_t)n;
      }
    }
    s->head = k->next;
    if (!s->head) s->tail = NULL;
    s->queued -= k->len;
    free(k);
    if (s->queued < MAX_QUEUED) arm(s);
  }
  if (to->want_out) {
    to->want_out = 0;
    arm(to);
  }
  if (s->c->a.wrote_eof && s->c->b.wrote_eof) {
    close_conn(s->c);
    return -1;
  }
  return 0;
}

static void rearm_timer(void) {
  uint64_t next = HELD;
  for (struct conn *c = conns; c; c = c->next) {
    /* a's queue goes to upstream: it waits for the connect (its completion flushes it) */
    if (c->a.head && c->a.head->due < next && !c->connecting) next = c->a.head->due;
    if (c->b.head && c->b.head->due < next) next = c->b.head->due;
  }
  struct itimerspec its = {0};
  if (next != HELD) {
    its.it_value.tv_sec = (time_t)(next / 1000000000u);
    its.it_value.tv_nsec = (long)(next % 1000000000u);
    if (!its.it_value.tv_sec && !its.it_value.tv_nsec) its.it_value.tv_nsec = 1;
  }
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void flush_due(void) {
  uint64_t t = now_ns();
  struct conn *c = conns;
  while (c) {
    struct conn *next = c->next;
    if (flush(&c->a, t) == 0) flush(&c->b, t);
    c = next;
  }
}

static void on_readable(struct side *s) {
  char buf[65536];
  if (s->read_eof) return;
  for (;;) {
    ssize_t n = recv(s->fd, buf, sizeof buf, 0);
    if (n > 0) {
      if (mode != DROP) enqueue(s, buf, (size_t)n, 0);
      if (s->queued >= MAX_QUEUED) break;
      if ((size_t)n < sizeof buf) break;
      continue;
    }
    if (n == 0) {
      s->read_eof = 1;
      enqueue(s, NULL, 0, 1);
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_conn(s->c); /* reset by peer: the other side is closed too */
    return;
  }
  arm(s);
  if (delay_ns == 0 && mode == PASS) flush(s, now_ns());
}

static void on_accept(void) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (up < 0) {
      close(fd);
      continue;
    }
    nodelay(fd);
    nodelay(up);
    struct conn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->a.fd = fd;
    c->b.fd = up;
    c->a.c = c->b.c = c;
    c->a.peer = &c->b;
    c->b.peer = &c->a;
    c->next = conns;
    if (conns) conns->prev = c;
    conns = c;
    int r = connect(up, (struct sockaddr *)&target, sizeof target);
    c->connecting = r < 0 && errno == EINPROGRESS;
    if (r < 0 && !c->connecting) {
      close_conn(c);
      continue;
    }
    arm(&c->a);
    arm(&c->b);
  }
}

static void on_writable(struct side *s) {
  struct conn *c = s->c;
  if (s == &c->b && c->connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      close_conn(c);
      return;
    }
    c->connecting = 0;
    arm(&c->a);
    arm(&c->b);
  }
  s->want_out = 0;
  arm(s);
  flush(s->peer, now_ns());
}

static void command(char *line) {
  char cmd[32] = "";
  long arg = 0;
  sscanf(line, "%31s %ld", cmd, &arg);
  if (!strcmp(cmd, "delay")) delay_ns = (uint64_t)(arg < 0 ? 0 : arg) * 1000000u;
  else if (!strcmp(cmd, "stall")) mode = STALL;
  else if (!strcmp(cmd, "drop")) mode = DROP;
  else if (!strcmp(cmd, "pass") || !strcmp(cmd, "resume")) {
    mode = PASS;
    uint64_t t = now_ns();
    for (struct conn *c = conns; c; c = c->next) {
      for (struct chunk *k = c->a.head; k; k = k->next)
        if (k->due == HELD) k->due = t;
      for (struct chunk *k = c->b.head; k; k = k->next)
        if (k->due == HELD) k->due = t;
    }
  } else if (!strcmp(cmd, "reset")) {
    while (conns) close_conn(conns);
  }
  printf("ok %s\n", cmd);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: relay LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS\n");
    return 2;
  }
  delay_ns = (uint64_t)atol(argv[5]) * 1000000u;
  struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)atoi(argv[4]));
  if (inet_pton(AF_INET, argv[1], &la.sin_addr) != 1 || inet_pton(AF_INET, argv[3], &target.sin_addr) != 1) {
    fprintf(stderr, "relay: addresses must be IPv4 literals\n");
    return 2;
  }
  lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&la, sizeof la) < 0 || listen(lfd, 512) < 0) {
    perror("relay: listen");
    return 1;
  }
  socklen_t sl = sizeof la;
  getsockname(lfd, (struct sockaddr *)&la, &sl);
  ep = epoll_create1(EPOLL_CLOEXEC);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  static int lmark, tmark, imark;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &lmark};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.ptr = &tmark;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  ev.data.ptr = &imark;
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  printf("listening %d\n", ntohs(la.sin_port));
  fflush(stdout);

  char in[4096];
  size_t inlen = 0;
  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    if (n < 0 && errno != EINTR) return 1;
    for (int i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;
      if (p == &lmark) on_accept();
      else if (p == &tmark) {
        uint64_t x;
        while (read(tfd, &x, sizeof x) > 0) {
        }
        flush_due();
      } else if (p == &imark) {
        for (;;) {
          ssize_t r = read(0, in + inlen, sizeof in - 1 - inlen);
          if (r == 0) return 0; /* stdin closed: the harness is gone */
          if (r < 0) break;
          inlen += (size_t)r;
          char *nl;
          while ((nl = memchr(in, '\n', inlen))) {
            *nl = 0;
            command(in);
            inlen -= (size_t)(nl + 1 - in);
            memmove(in, nl + 1, inlen);
          }
          if (inlen == sizeof in - 1) inlen = 0;
        }
      } else {
        /* a side of a conn; it may have been closed by an earlier event in this batch */
        struct side *s = p;
        if (s->c->dead) continue;
        if (evs[i].events & EPOLLOUT) on_writable(s);
        if (s->c->dead) continue;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(s);
      }
    }
    while (graveyard) {
      struct conn *c = graveyard;
      graveyard = c->next;
      free(c);
    }
    rearm_timer();
  }
}
