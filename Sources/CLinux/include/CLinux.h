// Linux headers that Swift's Glibc module does not export, and static inline wrappers for
// macros. Only the Reactor module imports this shim.
#ifndef SWITCHBOARD_CLINUX_H
#define SWITCHBOARD_CLINUX_H

#include <pthread.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>

/* accept4 is declared only under _GNU_SOURCE, which would make these headers differ from
   Swift's Glibc module; declare it here instead. */
extern int accept4(int, struct sockaddr *, socklen_t *, int);

static inline int sb_errno(void) { return errno; }

static inline int sb_accept4_nonblock(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static inline int sb_socket_stream_nonblock(int domain) {
    return socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static inline int sb_eventfd_nonblock(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

static inline int sb_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static inline unsigned int sb_epollin(void) { return EPOLLIN; }
static inline unsigned int sb_epollout(void) { return EPOLLOUT; }
static inline unsigned int sb_epollerr(void) { return EPOLLERR; }
static inline unsigned int sb_epollhup(void) { return EPOLLHUP; }
static inline unsigned int sb_epollrdhup(void) { return EPOLLRDHUP; }

/// Data of an epoll_event is a union; Swift sees it awkwardly, so these read and write it as u64.
static inline void sb_epoll_event_set(struct epoll_event *ev, unsigned int events, unsigned long long data) {
    ev->events = events;
    ev->data.u64 = data;
}
static inline unsigned long long sb_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }
static inline unsigned int sb_epoll_event_events(const struct epoll_event *ev) { return ev->events; }

static inline void sb_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/// A write past RLIMIT_FSIZE should fail with EFBIG (and be reported), not kill the process.
static inline void sb_ignore_sigxfsz(void) { signal(SIGXFSZ, SIG_IGN); }

/// Blocks SIGTERM/SIGINT in the calling thread (and threads it starts) so a signalfd-free
/// sigwait thread can receive them.
static inline int sb_block_shutdown_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/// Waits for SIGTERM or SIGINT; returns the signal number.
static inline int sb_wait_shutdown_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {}
    return sig;
}

/// The event loop running on the calling thread (an opaque pointer), or NULL on other threads.
/// Thread-local, so "am I on this loop?" never reads another thread's state.
void sb_set_current_loop(const void *loop);
const void *sb_current_loop(void);

#endif
