/* An IPIP (RFC 2003) tunnel end in plain C, written independently of tunlab, with a wire of its
 * own: the outer TTL is a fixed policy (17 unless --ttl says otherwise), where tunlab's engine and
 * ipip_tunnel.py send 64. The kernel builds the outer header (a raw IPPROTO_IPIP socket without
 * IP_HDRINCL): the TTL comes from IP_TTL, TOS and DF are copied from each inner packet through
 * IP_TOS and IP_MTU_DISCOVER. One epoll loop, nonblocking descriptors, one thread.
 *
 *   c-ipip --dev tun0 --local 18.12.0.92 --remote 18.13.0.91 [--ttl 17] [--drop-every N] [--udp PORT]
 *          [--mmsg on|off]
 *
 * --mmsg on receives with recvmmsg (up to 8 a call) and sends with sendmmsg: the same wire.
 * --udp PORT carries the inner packets over UDP instead (IP in UDP, the shape of OpenVPN or
 * WireGuard without their headers): a UDP socket bound to local:PORT sends each packet whole as
 * one datagram to remote:PORT, and writes what arrives from there to the device.
 *
 * --drop-every N is a drop policy for tests: every Nth packet read from the device is not sent
 * (the simulator reports it as absorbed-by-program).
 *
 * It attaches to an existing TUN device by name (the runner made it). SIGTERM or SIGINT: exit 0.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_signal(int signum) {
  (void)signum;
  stopping = 1;
}

static void usage(void) {
  fprintf(stderr, "usage: c-ipip --dev NAME --local ADDR --remote ADDR [--ttl N] [--drop-every N] [--udp PORT] [--mmsg on|off] [--vnet on|off]\n");
  exit(2);
}

struct tunnel {
  int tun;
  int raw;
  struct in_addr local;
  struct in_addr remote;
  int tos;  /* the IP_TOS the socket has now */
  int pmtu; /* the IP_MTU_DISCOVER the socket has now */
  int drop_every;
  unsigned long read_count;
  int udp_port; /* 0: raw IPIP */
  int mmsg;     /* sendmmsg and recvmmsg instead of sendto and recvfrom */
  int vnet;     /* IFF_VNET_HDR: the size of the virtio_net_hdr on the device, else 0 */
};

/* device -> network: the kernel adds the outer header with the socket's options, which follow
 * the inner packet's TOS and DF (set only when they change). */
static void encapsulate(struct tunnel* t) {
  unsigned char raw_read[65536 + 10];
  for (;;) {
    ssize_t n = read(t->tun, raw_read, sizeof(raw_read));
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        perror("c-ipip: read tun");
      }
      return;
    }
    unsigned char* packet = raw_read + t->vnet; /* --vnet on: the virtio_net_hdr comes first */
    n -= t->vnet;
    if (n < 20 || (packet[0] >> 4) != 4 || (t->vnet != 0 && raw_read[1] != 0)) {
      continue; /* IPv6, runt or a super-packet: not ours to carry */
    }
    if (t->drop_every > 0 && ++t->read_count % (unsigned long)t->drop_every == 0) {
      continue;
    }
    const int tos = packet[1];
    const int pmtu = (packet[6] & 0x40) ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
    if (tos != t->tos && setsockopt(t->raw, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) == 0) {
      t->tos = tos;
    }
    if (pmtu != t->pmtu && setsockopt(t->raw, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) == 0) {
      t->pmtu = pmtu;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = t->remote, .sin_port = htons((uint16_t)t->udp_port)};
    int sent = 0;
    if (t->mmsg) { /* one message a call: the socket options above apply per packet */
      struct iovec iov = {.iov_base = packet, .iov_len = (size_t)n};
      struct mmsghdr message = {.msg_hdr = {.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1}};
      sent = sendmmsg(t->raw, &message, 1, 0) == 1 ? 0 : -1;
    } else {
      sent = sendto(t->raw, packet, (size_t)n, 0, (struct sockaddr*)&to, sizeof(to)) < 0 ? -1 : 0;
    }
    if (sent < 0) {
      fprintf(stderr, "c-ipip: send: %s\n", strerror(errno)); /* lost, as on a wire */
    }
  }
}

/* With --vnet on, every packet written carries a virtio_net_hdr of zeros first (no offload). */
static void to_device(const struct tunnel* t, const unsigned char* packet, size_t n) {
  static const unsigned char no_offload[10];
  struct iovec parts[2] = {{.iov_base = (void*)no_offload, .iov_len = (size_t)t->vnet},
                           {.iov_base = (void*)packet, .iov_len = n}};
  if (writev(t->tun, t->vnet != 0 ? parts : parts + 1, t->vnet != 0 ? 2 : 1) < 0) {
    fprintf(stderr, "c-ipip: write tun: %s\n", strerror(errno));
  }
}

/* One packet from the socket to the device: for IPIP only from remote to local, the outer header
 * coming off; over UDP only from the peer's port, the datagram being the inner packet. */
static void deliver(const struct tunnel* t, const unsigned char* packet, size_t n, const struct sockaddr_in* from) {
  if (t->udp_port != 0) {
    if (from->sin_addr.s_addr != t->remote.s_addr || ntohs(from->sin_port) != t->udp_port || n < 20 ||
        (packet[0] >> 4) != 4) {
      return;
    }
    to_device(t, packet, n);
    return;
  }
  const size_t header = (size_t)(packet[0] & 0x0f) * 4;
  if (n < header + 20 || packet[9] != IPPROTO_IPIP || memcmp(packet + 12, &t->remote, 4) != 0 ||
      memcmp(packet + 16, &t->local, 4) != 0 || (packet[header] >> 4) != 4) {
    return;
  }
  to_device(t, packet + header, n - header);
}

/* network -> device, one recvfrom at a time, or with --mmsg up to 8 per recvmmsg. */
static void decapsulate(struct tunnel* t) {
  enum { kBatch = 8 };
  static unsigned char packets[kBatch][65536];
  for (;;) {
    struct sockaddr_in from[kBatch];
    if (t->mmsg) {
      struct iovec iov[kBatch];
      struct mmsghdr messages[kBatch];
      memset(messages, 0, sizeof(messages));
      for (int i = 0; i < kBatch; ++i) {
        iov[i].iov_base = packets[i];
        iov[i].iov_len = sizeof(packets[i]);
        messages[i].msg_hdr.msg_iov = &iov[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &from[i];
        messages[i].msg_hdr.msg_namelen = sizeof(from[i]);
      }
      const int got = recvmmsg(t->raw, messages, kBatch, MSG_WAITFORONE, NULL);
      if (got < 0) {
        if (errno != EAGAIN && errno != EINTR) {
          perror("c-ipip: recvmmsg");
        }
        return;
      }
      for (int i = 0; i < got; ++i) {
        deliver(t, packets[i], messages[i].msg_len, &from[i]);
      }
      continue;
    }
    socklen_t from_length = sizeof(from[0]);
    const ssize_t n = recvfrom(t->raw, packets[0], sizeof(packets[0]), 0, (struct sockaddr*)&from[0], &from_length);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        perror("c-ipip: recv");
      }
      return;
    }
    deliver(t, packets[0], (size_t)n, &from[0]);
  }
}

int main(int argc, char** argv) {
  const char* dev = NULL;
  const char* local = NULL;
  const char* remote = NULL;
  int ttl = 17;
  int drop_every = 0;
  int udp_port = 0;
  int mmsg = 0;
  int vnet = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--dev") == 0) {
      dev = argv[i + 1];
    } else if (strcmp(argv[i], "--local") == 0) {
      local = argv[i + 1];
    } else if (strcmp(argv[i], "--remote") == 0) {
      remote = argv[i + 1];
    } else if (strcmp(argv[i], "--ttl") == 0) {
      ttl = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--drop-every") == 0) {
      drop_every = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--udp") == 0) {
      udp_port = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--mmsg") == 0 && (strcmp(argv[i + 1], "on") == 0 || strcmp(argv[i + 1], "off") == 0)) {
      mmsg = strcmp(argv[i + 1], "on") == 0;
    } else if (strcmp(argv[i], "--vnet") == 0 && (strcmp(argv[i + 1], "on") == 0 || strcmp(argv[i + 1], "off") == 0)) {
      vnet = strcmp(argv[i + 1], "on") == 0 ? 10 : 0;
    } else {
      usage();
    }
  }
  struct tunnel t = {.tos = 0, .pmtu = -1, .drop_every = drop_every, .udp_port = udp_port, .mmsg = mmsg, .vnet = vnet};
  if (dev == NULL || local == NULL || remote == NULL || inet_pton(AF_INET, local, &t.local) != 1 ||
      inet_pton(AF_INET, remote, &t.remote) != 1 || ttl < 1 || ttl > 255 || udp_port < 0 || udp_port > 65535) {
    usage();
  }
  struct sigaction action = {.sa_handler = on_signal}; /* no SA_RESTART: epoll_wait returns EINTR */
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);

  /* The socket first, the device last: tunlab starts traffic once the device has carrier. */
  if (udp_port != 0) {
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr = t.local, .sin_port = htons((uint16_t)udp_port)};
    t.raw = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t.raw < 0 || setsockopt(t.raw, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) != 0 ||
        bind(t.raw, (struct sockaddr*)&at, sizeof(at)) != 0) {
      perror("c-ipip: UDP socket");
      return 1;
    }
  } else {
    t.raw = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPIP);
    if (t.raw < 0 || setsockopt(t.raw, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) != 0) {
      perror("c-ipip: raw IPIP socket");
      return 1;
    }
  }
  t.tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet != 0 ? IFF_VNET_HDR : 0);
  if (t.tun < 0 || ioctl(t.tun, TUNSETIFF, &ifr) != 0) {
    perror("c-ipip: attach to the TUN device");
    return 1;
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event on_tun = {.events = EPOLLIN, .data.fd = t.tun};
  struct epoll_event on_raw = {.events = EPOLLIN, .data.fd = t.raw};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, t.tun, &on_tun) != 0 || epoll_ctl(ep, EPOLL_CTL_ADD, t.raw, &on_raw) != 0) {
    perror("c-ipip: epoll");
    return 1;
  }
  fprintf(stderr, "c-ipip: %s %s -> %s%s, outer TTL %d\n", ifr.ifr_name, local, remote, udp_port != 0 ? " over UDP" : "",
          ttl);

  while (!stopping) {
    struct epoll_event events[8];
    const int n = epoll_wait(ep, events, 8, -1);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      perror("c-ipip: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == t.tun) {
        encapsulate(&t);
      } else {
        decapsulate(&t);
      }
    }
  }
  return 0;
}
