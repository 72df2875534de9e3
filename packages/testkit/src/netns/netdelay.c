// tdm-netdelay: delays the packets an iptables NFQUEUE rule hands it, for kernels without the
// netem qdisc. It binds one netfilter queue in the network namespace it runs in, and accepts each
// packet after `delay ± jitter` milliseconds (uniform, like netem's default, so packets may be
// reordered). It never reads packet contents (copy mode META). On SIGTERM or SIGINT it accepts
// every packet it still holds and exits, so stopping it never drops traffic by itself.
//
//   tdm-netdelay --queue N --delay-ms D [--jitter-ms J] [--seed S] [--limit L]
//
// Prints "ready" on stdout once the queue is bound. Written for the Tandem network-namespace
// test lab (packages/testkit/src/netns); compiled by the lab with the system C compiler.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIMIT 100000
#define MAX_DELAY_MS 60000
#define RECEIVE_BUFFER_BYTES (1 << 18)
#define SEND_BUFFER_BYTES (1 << 16)

struct held_packet {
  uint64_t due_ns;
  uint32_t packet_id;
};

static volatile sig_atomic_t stop_requested = 0;
static struct held_packet *heap = NULL;
static size_t heap_size = 0;
static size_t heap_limit = 10000;
static uint64_t random_state = 0x9e3779b97f4a7c15ULL;
static uint16_t queue_number = 0;
static int netlink_socket = -1;
static unsigned char send_buffer[SEND_BUFFER_BYTES];
static size_t send_length = 0;
static uint32_t sequence = 1;

static void fail(const char *what) {
  fprintf(stderr, "tdm-netdelay: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void on_signal(int signal_number) {
  (void)signal_number;
  stop_requested = 1;
}

static uint64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

static uint64_t next_random(void) {
  // xorshift64*: fast, seedable, good enough to spread delays.
  random_state ^= random_state >> 12;
  random_state ^= random_state << 25;
  random_state ^= random_state >> 27;
  return random_state * 2685821657736338717ULL;
}

static void heap_push(struct held_packet packet) {
  size_t position = heap_size++;
  while (position > 0) {
    size_t parent = (position - 1) / 2;
    if (heap[parent].due_ns <= packet.due_ns) break;
    heap[position] = heap[parent];
    position = parent;
  }
  heap[position] = packet;
}

static struct held_packet heap_pop(void) {
  struct held_packet top = heap[0];
  struct held_packet last = heap[--heap_size];
  size_t position = 0;
  for (;;) {
    size_t child = 2 * position + 1;
    if (child >= heap_size) break;
    if (child + 1 < heap_size && heap[child + 1].due_ns < heap[child].due_ns) child += 1;
    if (last.due_ns <= heap[child].due_ns) break;
    heap[position] = heap[child];
    position = child;
  }
  if (heap_size > 0) heap[position] = last;
  return top;
}

static void send_all(const void *data, size_t length) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(netlink_socket, data, length, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    // A full socket buffer only delays verdicts; anything else is fatal.
    if (errno != ENOBUFS && errno != EAGAIN) fail("sendto");
  }
}

static void flush_verdicts(void) {
  if (send_length == 0) return;
  send_all(send_buffer, send_length);
  send_length = 0;
}

static size_t put_attribute(unsigned char *at, uint16_t type, const void *value, uint16_t length) {
  struct nlattr *attribute = (struct nlattr *)at;
  attribute->nla_type = type;
  attribute->nla_len = (uint16_t)(NLA_HDRLEN + length);
  memcpy(at + NLA_HDRLEN, value, length);
  return NLA_ALIGN(attribute->nla_len);
}

static size_t begin_message(unsigned char *at, uint16_t message_type, uint16_t flags) {
  struct nlmsghdr *header = (struct nlmsghdr *)at;
  memset(header, 0, NLMSG_HDRLEN);
  header->nlmsg_type = (uint16_t)((NFNL_SUBSYS_QUEUE << 8) | message_type);
  header->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  header->nlmsg_seq = sequence++;
  struct nfgenmsg *generic = (struct nfgenmsg *)(at + NLMSG_HDRLEN);
  generic->nfgen_family = AF_UNSPEC;
  generic->version = NFNETLINK_V0;
  generic->res_id = htons(queue_number);
  return NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
}

static void queue_verdict(uint32_t packet_id, uint32_t verdict) {
  if (send_length + 64 > sizeof send_buffer) flush_verdicts();
  unsigned char *at = send_buffer + send_length;
  size_t length = begin_message(at, NFQNL_MSG_VERDICT, 0);
  struct nfqnl_msg_verdict_hdr body = {.verdict = htonl(verdict), .id = htonl(packet_id)};
  length += put_attribute(at + length, NFQA_VERDICT_HDR, &body, sizeof body);
  ((struct nlmsghdr *)at)->nlmsg_len = (uint32_t)length;
  send_length += NLMSG_ALIGN(length);
}

static void wait_for_ack(uint32_t expected_sequence) {
  unsigned char buffer[8192];
  for (;;) {
    ssize_t received = recv(netlink_socket, buffer, sizeof buffer, 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      fail("recv (configuration acknowledgement)");
    }
    for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, (size_t)received);
         header = NLMSG_NEXT(header, received)) {
      if (header->nlmsg_type != NLMSG_ERROR || header->nlmsg_seq != expected_sequence) continue;
      struct nlmsgerr *error = (struct nlmsgerr *)NLMSG_DATA(header);
      if (error->error != 0) {
        errno = -error->error;
        fail("queue configuration refused");
      }
      return;
    }
  }
}

static void configure(uint16_t attribute_type, const void *value, uint16_t length) {
  unsigned char buffer[256];
  uint32_t message_sequence = sequence;
  size_t total = begin_message(buffer, NFQNL_MSG_CONFIG, NLM_F_ACK);
  total += put_attribute(buffer + total, attribute_type, value, length);
  ((struct nlmsghdr *)buffer)->nlmsg_len = (uint32_t)total;
  send_all(buffer, total);
  wait_for_ack(message_sequence);
}

static void configure_flags(void) {
  unsigned char buffer[256];
  uint32_t message_sequence = sequence;
  uint32_t flags = htonl(NFQA_CFG_F_GSO);
  size_t total = begin_message(buffer, NFQNL_MSG_CONFIG, NLM_F_ACK);
  total += put_attribute(buffer + total, NFQA_CFG_FLAGS, &flags, sizeof flags);
  total += put_attribute(buffer + total, NFQA_CFG_MASK, &flags, sizeof flags);
  ((struct nlmsghdr *)buffer)->nlmsg_len = (uint32_t)total;
  send_all(buffer, total);
  wait_for_ack(message_sequence);
}

static void receive_packets(uint64_t delay_ns, uint64_t jitter_ns) {
  static unsigned char buffer[RECEIVE_BUFFER_BYTES];
  for (;;) {
    ssize_t received = recv(netlink_socket, buffer, sizeof buffer, MSG_DONTWAIT);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      // The kernel dropped queue messages because we were slow: those packets are lost, as on a
      // congested link. Carry on.
      if (errno == ENOBUFS) continue;
      fail("recv");
    }
    for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, (size_t)received);
         header = NLMSG_NEXT(header, received)) {
      if (header->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) continue;
      size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
      int found = 0;
      uint32_t packet_id = 0;
      while (offset + NLA_HDRLEN <= header->nlmsg_len) {
        struct nlattr *attribute = (struct nlattr *)((unsigned char *)header + offset);
        if (attribute->nla_len < NLA_HDRLEN || offset + attribute->nla_len > header->nlmsg_len) break;
        if ((attribute->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR) {
          struct nfqnl_msg_packet_hdr packet_header;
          memcpy(&packet_header, (unsigned char *)attribute + NLA_HDRLEN, sizeof packet_header);
          packet_id = ntohl(packet_header.packet_id);
          found = 1;
          break;
        }
        offset += NLA_ALIGN(attribute->nla_len);
      }
      if (!found) continue;
      if (heap_size >= heap_limit) {
        // Like netem's limit: a packet beyond the queue's capacity is dropped.
        queue_verdict(packet_id, NF_DROP);
        continue;
      }
      uint64_t spread = jitter_ns == 0 ? 0 : next_random() % (2 * jitter_ns + 1);
      // delay - jitter + [0, 2 * jitter]: never negative, because jitter <= delay.
      uint64_t due = now_ns() + delay_ns - jitter_ns + spread;
      heap_push((struct held_packet){.due_ns = due, .packet_id = packet_id});
    }
  }
}

static long parse_number(const char *text, const char *name, long minimum, long maximum) {
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < minimum || value > maximum) {
    fprintf(stderr, "tdm-netdelay: %s must be an integer in %ld..%ld (got %s)\n", name, minimum, maximum, text);
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  long delay_ms = -1;
  long jitter_ms = 0;
  long queue = -1;
  for (int position = 1; position + 1 < argc; position += 2) {
    const char *name = argv[position];
    const char *value = argv[position + 1];
    if (strcmp(name, "--queue") == 0) queue = parse_number(value, "--queue", 0, 65535);
    else if (strcmp(name, "--delay-ms") == 0) delay_ms = parse_number(value, "--delay-ms", 0, MAX_DELAY_MS);
    else if (strcmp(name, "--jitter-ms") == 0) jitter_ms = parse_number(value, "--jitter-ms", 0, MAX_DELAY_MS);
    else if (strcmp(name, "--seed") == 0) random_state ^= (uint64_t)parse_number(value, "--seed", 0, 2147483647L) * 0x100000001b3ULL;
    else if (strcmp(name, "--limit") == 0) heap_limit = (size_t)parse_number(value, "--limit", 1, MAX_LIMIT);
    else {
      fprintf(stderr, "tdm-netdelay: unknown option %s\n", name);
      return 2;
    }
  }
  if (queue < 0 || delay_ms < 0 || argc % 2 == 0) {
    fprintf(stderr, "usage: tdm-netdelay --queue N --delay-ms D [--jitter-ms J] [--seed S] [--limit L]\n");
    return 2;
  }
  if (jitter_ms > delay_ms) {
    fprintf(stderr, "tdm-netdelay: --jitter-ms must not exceed --delay-ms\n");
    return 2;
  }
  if (random_state == 0) random_state = 1;
  queue_number = (uint16_t)queue;
  heap = calloc(heap_limit, sizeof *heap);
  if (heap == NULL) fail("calloc");

  struct sigaction action = {.sa_handler = on_signal};
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);

  netlink_socket = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  if (netlink_socket < 0) fail("socket(NETLINK_NETFILTER)");
  int buffer_bytes = 8 * 1024 * 1024;
  setsockopt(netlink_socket, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof buffer_bytes);
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(netlink_socket, (struct sockaddr *)&local, sizeof local) < 0) fail("bind");

  struct nfqnl_msg_config_cmd bind_command = {.command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET)};
  configure(NFQA_CFG_CMD, &bind_command, sizeof bind_command);
  struct nfqnl_msg_config_params parameters = {.copy_range = htonl(0), .copy_mode = NFQNL_COPY_META};
  configure(NFQA_CFG_PARAMS, &parameters, sizeof parameters);
  uint32_t maximum_length = htonl((uint32_t)heap_limit);
  configure(NFQA_CFG_QUEUE_MAXLEN, &maximum_length, sizeof maximum_length);
  configure_flags();
  printf("ready\n");
  fflush(stdout);

  uint64_t delay_ns = (uint64_t)delay_ms * 1000000ULL;
  uint64_t jitter_ns = (uint64_t)jitter_ms * 1000000ULL;
  while (!stop_requested) {
    uint64_t now = now_ns();
    while (heap_size > 0 && heap[0].due_ns <= now) queue_verdict(heap_pop().packet_id, NF_ACCEPT);
    flush_verdicts();
    int timeout_ms = 100;
    if (heap_size > 0) {
      uint64_t wait_ns = heap[0].due_ns > now ? heap[0].due_ns - now : 0;
      timeout_ms = (int)((wait_ns + 999999ULL) / 1000000ULL);
      if (timeout_ms > 100) timeout_ms = 100;
    }
    struct pollfd descriptor = {.fd = netlink_socket, .events = POLLIN};
    int ready = poll(&descriptor, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) fail("poll");
    if (ready > 0) receive_packets(delay_ns, jitter_ns);
  }
  // Stopping must not drop what we hold: let every held packet through at once.
  while (heap_size > 0) queue_verdict(heap_pop().packet_id, NF_ACCEPT);
  flush_verdicts();
  close(netlink_socket);
  return 0;
}
