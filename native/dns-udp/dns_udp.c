// Batched UDP for the DNS listener (Linux): recvmmsg takes up to BATCH datagrams per system
// call and hands them to JavaScript in one call; the replies that were ready at once leave in
// one sendmmsg. Node's own UDP socket pays a system call and a trip into JavaScript per
// datagram in each direction, which measured as most of a query's cost; this file exists only
// to remove that. Everything DNS (parsing, matching, answers) stays in JavaScript.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/filter.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

// Datagrams per receive call, and batches per wake-up before other work (timers, TCP, the
// primary's messages) gets its turn on the event loop.
#define BATCH 64
#define ROUNDS 4
// Room for one datagram. A larger one is cut short by the kernel (MSG_TRUNC) and handed on
// empty, so JavaScript counts it as malformed like any other junk.
#define SLOT 4096

typedef struct {
  int fd;
  int family;
  int closing;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_ref lengths_ref, ports_ref;
  int32_t *lengths, *ports;
  napi_async_context context;
  // Closes the socket when its thread ends with it still open: a worker thread's event loop
  // must hold no handle when it is torn down, or Node aborts the whole process.
  napi_async_cleanup_hook_handle at_exit;
  // The last client address and its text: resolvers ask from a handful of addresses, so the
  // string is made once and the handler's per-client maps hash it once.
  struct sockaddr_storage last_from;
  napi_ref last_text;
  struct mmsghdr in[BATCH];
  struct iovec in_iov[BATCH];
  struct sockaddr_storage from[BATCH];
  unsigned char slots[BATCH][SLOT];
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
} udp_t;

static void throw_errno(napi_env env, const char *what, const char *host, int port, int err) {
  char msg[256];
  const char *code = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s %s %s:%d", what, code, host, port);
  napi_throw_error(env, code, msg);
}

static int parse_address(int family, const char *text, struct sockaddr_storage *to, socklen_t *len, int port) {
  memset(to, 0, sizeof *to);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)to;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    *len = sizeof *a;
    return inet_pton(AF_INET, text, &a->sin_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)to;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  *len = sizeof *a;
  char copy[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  snprintf(copy, sizeof copy, "%s", text);
  char *zone = strchr(copy, '%');
  if (zone) {
    *zone++ = 0;
    unsigned index = if_nametoindex(zone);
    a->sin6_scope_id = index ? index : (unsigned)strtoul(zone, NULL, 10);
  }
  return inet_pton(AF_INET6, copy, &a->sin6_addr) == 1 ? 0 : -1;
}

static napi_value address_text(napi_env env, struct sockaddr_storage *from) {
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
  if (from->ss_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)from)->sin_addr, text, sizeof text);
  } else if (from->ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)from;
    inet_ntop(AF_INET6, &a->sin6_addr, text, INET6_ADDRSTRLEN);
    if (a->sin6_scope_id) {
      size_t n = strlen(text);
      char name[IF_NAMESIZE];
      if (if_indextoname(a->sin6_scope_id, name)) snprintf(text + n, sizeof text - n, "%%%s", name);
      else snprintf(text + n, sizeof text - n, "%%%u", a->sin6_scope_id);
    }
  }
  napi_value value;
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &value);
  return value;
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
    return x->sin6_scope_id == y->sin6_scope_id && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return 0;
}

// The client's address as text, made again only when it differs from the last one.
static napi_value client_text(udp_t *u, struct sockaddr_storage *from) {
  napi_value text;
  if (u->last_text && same_host(&u->last_from, from) && napi_get_reference_value(u->env, u->last_text, &text) == napi_ok && text)
    return text;
  text = address_text(u->env, from);
  if (u->last_text) napi_delete_reference(u->env, u->last_text);
  napi_create_reference(u->env, text, 1, &u->last_text);
  u->last_from = *from;
  return text;
}

static int port_of(struct sockaddr_storage *from) {
  if (from->ss_family == AF_INET) return ntohs(((struct sockaddr_in *)from)->sin_port);
  if (from->ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)from)->sin6_port);
  return 0;
}

// Sends what JavaScript returned for the batch: entry i is a Buffer for datagram i, or not.
static void send_replies(udp_t *u, napi_value replies, int n) {
  napi_env env = u->env;
  bool is_array = false;
  if (napi_is_array(env, replies, &is_array) != napi_ok || !is_array) return;
  int count = 0;
  for (int i = 0; i < n; i++) {
    napi_value reply;
    bool is_buffer = false;
    if (napi_get_element(env, replies, i, &reply) != napi_ok) continue;
    if (napi_is_buffer(env, reply, &is_buffer) != napi_ok || !is_buffer) continue;
    void *data;
    size_t length;
    napi_get_buffer_info(env, reply, &data, &length);
    u->out_iov[count].iov_base = data;
    u->out_iov[count].iov_len = length;
    memset(&u->out[count].msg_hdr, 0, sizeof(struct msghdr));
    u->out[count].msg_hdr.msg_iov = &u->out_iov[count];
    u->out[count].msg_hdr.msg_iovlen = 1;
    u->out[count].msg_hdr.msg_name = &u->from[i];
    u->out[count].msg_hdr.msg_namelen = u->in[i].msg_hdr.msg_namelen;
    count++;
  }
  int sent = 0;
  while (sent < count) {
    int k = sendmmsg(u->fd, u->out + sent, count - sent, MSG_DONTWAIT);
    if (k > 0) {
      sent += k;
    } else if (k < 0 && errno == EINTR) {
      continue;
    } else if (k < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
      // The send buffer is full: the rest is lost as any datagram may be; clients ask again.
      break;
    } else {
      sent++;  // This destination refused (say, a firewall rule); the others still go.
    }
  }
}

// JavaScript can no longer run here (the thread is being terminated or is ending): read no
// more; the cleanup hook closes the socket. Datagrams already read are lost with the thread.
static void stop_reading(udp_t *u) {
  u->closing = 1;
  uv_poll_stop(&u->poll);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  udp_t *u = poll->data;
  napi_env env = u->env;
  if (status < 0 || u->closing) return;
  for (int round = 0; round < ROUNDS && !u->closing; round++) {
    for (int i = 0; i < BATCH; i++) {
      u->in_iov[i].iov_base = u->slots[i];
      u->in_iov[i].iov_len = SLOT;
      memset(&u->in[i].msg_hdr, 0, sizeof(struct msghdr));
      u->in[i].msg_hdr.msg_iov = &u->in_iov[i];
      u->in[i].msg_hdr.msg_iovlen = 1;
      u->in[i].msg_hdr.msg_name = &u->from[i];
      u->in[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    }
    int n = recvmmsg(u->fd, u->in, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;

    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) {
      stop_reading(u);
      return;
    }
    size_t total = 0;
    for (int i = 0; i < n; i++) {
      if (u->in[i].msg_hdr.msg_flags & MSG_TRUNC) u->in[i].msg_len = 0;
      total += u->in[i].msg_len;
    }
    // A fresh buffer per batch: a query that waits on an upstream keeps its bytes.
    void *data;
    napi_value buffer, addresses, callback, global, result;
    if (napi_create_buffer(env, total ? total : 1, &data, &buffer) != napi_ok ||
        napi_create_array_with_length(env, n, &addresses) != napi_ok) {
      napi_close_handle_scope(env, scope);
      stop_reading(u);
      return;
    }
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
      memcpy((unsigned char *)data + offset, u->slots[i], u->in[i].msg_len);
      offset += u->in[i].msg_len;
      u->lengths[i] = (int32_t)u->in[i].msg_len;
      u->ports[i] = port_of(&u->from[i]);
      napi_set_element(env, addresses, i, client_text(u, &u->from[i]));
    }
    napi_value argv[5];
    argv[0] = buffer;
    napi_get_reference_value(env, u->lengths_ref, &argv[1]);
    napi_get_reference_value(env, u->ports_ref, &argv[2]);
    argv[3] = addresses;
    napi_create_int32(env, n, &argv[4]);
    napi_get_reference_value(env, u->on_batch, &callback);
    napi_get_global(env, &global);
    napi_status status_call = napi_make_callback(env, u->context, global, callback, 5, argv, &result);
    if (status_call == napi_ok) {
      if (!u->closing) send_replies(u, result, n);
    } else if (status_call == napi_pending_exception) {
      // The handler threw: an uncaught exception, as anywhere else in the thread.
      napi_value error;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    } else {
      napi_close_handle_scope(env, scope);
      stop_reading(u);
      return;
    }
    napi_close_handle_scope(env, scope);
    if (n < BATCH) return;
  }
}

static void on_closed(uv_handle_t *handle) {
  udp_t *u = handle->data;
  close(u->fd);
  free(u);
}

static void on_closed_at_exit(uv_handle_t *handle) {
  udp_t *u = handle->data;
  close(u->fd);
  napi_remove_async_cleanup_hook(u->at_exit);
  free(u);
}

// The environment (a worker thread, or the process) is ending: JavaScript will not run again,
// so only the handle and the descriptor are let go; the environment frees its references.
static void close_at_exit(napi_async_cleanup_hook_handle handle, void *data) {
  udp_t *u = data;
  u->closing = 1;
  uv_poll_stop(&u->poll);
  uv_close((uv_handle_t *)&u->poll, on_closed_at_exit);
}

static void finalize(napi_env env, void *data, void *hint) {
  // The JavaScript object went away: its socket is (or is now being) closed, nothing else.
}

static udp_t *unwrap(napi_env env, napi_value object) {
  udp_t *u = NULL;
  if (napi_unwrap(env, object, (void **)&u) != napi_ok || !u) {
    napi_throw_error(env, NULL, "not an open socket");
    return NULL;
  }
  return u;
}

static napi_value typed(napi_env env, int32_t **data, napi_ref *ref) {
  napi_value arraybuffer, array;
  napi_create_arraybuffer(env, BATCH * sizeof(int32_t), (void **)data, &arraybuffer);
  napi_create_typedarray(env, napi_int32_array, BATCH, arraybuffer, 0, &array);
  napi_create_reference(env, array, 1, ref);
  return array;
}

// open(host, port, group, onBatch(buffer, lengths, ports, addresses, count) => replies): group is
// how many sockets share the port (SO_REUSEPORT), 1 for a socket that binds it alone.
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], self;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  size_t host_len;
  int32_t port;
  int32_t group;
  napi_valuetype kind;
  if (argc < 4 || napi_get_value_string_latin1(env, argv[0], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok || napi_get_value_int32(env, argv[2], &group) != napi_ok ||
      napi_typeof(env, argv[3], &kind) != napi_ok || kind != napi_function) {
    napi_throw_type_error(env, NULL, "open(host, port, group, onBatch)");
    return NULL;
  }
  int reuse_port = group > 1;
  int family = strchr(host, ':') ? AF_INET6 : AF_INET;
  struct sockaddr_storage address;
  socklen_t address_len;
  if (parse_address(family, host, &address, &address_len, port) != 0) {
    napi_throw_error(env, "EINVAL", "not an IP address to listen on");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, "socket", host, port, errno);
    return NULL;
  }
  int one = 1;
  // With SO_REUSEPORT, port 0 may be handed out while another program's socket of the same
  // user holds it with SO_REUSEPORT too, and the two would split its traffic. A port taken by
  // an exclusive probe first is one nobody holds.
  if (reuse_port && port == 0) {
    int probe = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    if (probe < 0 || bind(probe, (struct sockaddr *)&address, address_len) != 0 ||
        getsockname(probe, (struct sockaddr *)&bound, &bound_len) != 0) {
      int err = errno;
      if (probe >= 0) close(probe);
      close(fd);
      throw_errno(env, "bind", host, port, err);
      return NULL;
    }
    close(probe);
    port = port_of(&bound);
    if (family == AF_INET) ((struct sockaddr_in *)&address)->sin_port = htons(port);
    else ((struct sockaddr_in6 *)&address)->sin6_port = htons(port);
  }
  // DNS workers each bind their own socket to the same port, and the kernel spreads clients
  // over them; a lone process binds exclusively, so a second sluice on the port still fails.
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, "setsockopt", host, port, err);
    return NULL;
  }
  if (bind(fd, (struct sockaddr *)&address, address_len) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, "bind", host, port, err);
    return NULL;
  }
  // The kernel would pick a socket of the group by a hash of the client's address and port, so
  // a few busy clients (a resolver in front, a load generator) can land mostly on one worker
  // while the others idle. Each datagram goes to a socket picked at random instead: DNS over
  // UDP keeps no state between datagrams. An index past the sockets open (a worker being
  // restarted) falls back to the hash. Without this (an old kernel) the hash still works.
  if (reuse_port) {
    struct sock_filter pick[] = {
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_OFF + SKF_AD_RANDOM},
        {BPF_ALU | BPF_MOD | BPF_K, 0, 0, (uint32_t)group},
        {BPF_RET | BPF_A, 0, 0, 0},
    };
    struct sock_fprog program = {sizeof pick / sizeof pick[0], pick};
    setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program);
  }
  udp_t *u = calloc(1, sizeof(udp_t));
  if (!u) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  u->fd = fd;
  u->family = family;
  u->env = env;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (uv_poll_init(loop, &u->poll, fd) != 0) {
    close(fd);
    free(u);
    napi_throw_error(env, NULL, "cannot watch the socket");
    return NULL;
  }
  u->poll.data = u;
  napi_create_reference(env, argv[3], 1, &u->on_batch);
  typed(env, &u->lengths, &u->lengths_ref);
  typed(env, &u->ports, &u->ports_ref);
  napi_value name;
  napi_create_string_utf8(env, "sluice.dns.udp", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &self);
  napi_async_init(env, self, name, &u->context);
  napi_wrap(env, self, u, finalize, NULL, NULL);
  napi_add_async_cleanup_hook(env, close_at_exit, u, &u->at_exit);
  uv_poll_start(&u->poll, UV_READABLE, on_readable);
  return self;
}

static napi_value local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *u = unwrap(env, argv[0]);
  if (!u) return NULL;
  struct sockaddr_storage address;
  socklen_t len = sizeof address;
  getsockname(u->fd, (struct sockaddr *)&address, &len);
  napi_create_int32(env, port_of(&address), &result);
  return result;
}

// send(socket, buffer, port, address): one reply that was not ready within its batch.
static napi_value send_one(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *u = unwrap(env, argv[0]);
  if (!u || u->closing) return NULL;
  void *data;
  size_t length;
  int32_t port;
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  size_t text_len;
  if (napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok || napi_get_value_int32(env, argv[2], &port) != napi_ok ||
      napi_get_value_string_latin1(env, argv[3], text, sizeof text, &text_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(socket, buffer, port, address)");
    return NULL;
  }
  struct sockaddr_storage to;
  socklen_t to_len;
  if (parse_address(u->family, text, &to, &to_len, port) != 0) return NULL;
  // Lost like any datagram when the send buffer is full; the client asks again.
  while (sendto(u->fd, data, length, MSG_DONTWAIT, (struct sockaddr *)&to, to_len) < 0 && errno == EINTR) {
  }
  return NULL;
}

static napi_value close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *u = NULL;
  if (napi_remove_wrap(env, argv[0], (void **)&u) != napi_ok || !u) return NULL;
  u->closing = 1;
  napi_remove_async_cleanup_hook(u->at_exit);
  uv_poll_stop(&u->poll);
  napi_delete_reference(env, u->on_batch);
  napi_delete_reference(env, u->lengths_ref);
  napi_delete_reference(env, u->ports_ref);
  if (u->last_text) napi_delete_reference(env, u->last_text);
  napi_async_destroy(env, u->context);
  uv_close((uv_handle_t *)&u->poll, on_closed);
  return NULL;
}

// externalMemory(change): tells this thread's garbage collector that memory it cannot see was
// taken (change > 0) or let go (change < 0). V8 leaves SharedArrayBuffers out of every
// thread's count, so a DNS thread that received a few hundred megabytes of sets in shared
// memory would otherwise see no reason to collect the ones it no longer uses.
static napi_value external_memory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int64_t change, total = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int64(env, argv[0], &change) != napi_ok) {
    napi_throw_type_error(env, NULL, "externalMemory(change)");
    return NULL;
  }
  napi_adjust_external_memory(env, change, &total);
  napi_create_double(env, (double)total, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"port", NULL, local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_one, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"externalMemory", NULL, external_memory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}
