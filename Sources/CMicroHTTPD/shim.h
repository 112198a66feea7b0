// Tiny C shim over libmicrohttpd for Swift.
//
// MHD_start_daemon and MHD_get_daemon_info are variadic, which Swift cannot call directly; these
// static inline functions give them fixed signatures. Nothing else belongs here: all logic lives
// in the HTTPServer target.
#ifndef MAPC_CMICROHTTPD_SHIM_H
#define MAPC_CMICROHTTPD_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>

/// Flags for a daemon with its own listen thread and one thread per connection, using poll(),
/// with an inter-thread channel so that MHD_quiesce_daemon works.
static inline unsigned int mapc_mhd_thread_per_connection_flags(int ipv6) {
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC;
    if (ipv6) {
        flags |= MHD_USE_IPv6;
    }
    return flags;
}

/// Called with the request target exactly as received (path and query, not decoded), before
/// libmicrohttpd parses it; the return value is the request's first `*req_cls`.
typedef void *(*mapc_mhd_uri_callback)(void *cls, const char *uri, struct MHD_Connection *connection);

/// Starts a daemon bound to `address` (port inside the sockaddr; 0 picks a free port). With a
/// `tls_key` and `tls_cert` (PEM text, NUL-terminated) it speaks HTTPS (GnuTLS); NULL for plain HTTP.
static inline struct MHD_Daemon *mapc_mhd_start(
    unsigned int flags,
    const struct sockaddr *address,
    MHD_AccessHandlerCallback handler, void *handler_cls,
    MHD_RequestCompletedCallback completed, void *completed_cls,
    mapc_mhd_uri_callback uri_callback, void *uri_cls,
    MHD_NotifyConnectionCallback connection_callback, void *connection_cls,
    unsigned int connection_timeout_seconds,
    size_t connection_memory_limit,
    unsigned int connection_limit,
    unsigned int listen_backlog,
    const char *tls_key, const char *tls_cert) {
    struct MHD_OptionItem tls[] = {
        {tls_key != NULL && tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *) tls_key},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) tls_cert},
        {MHD_OPTION_END, 0, NULL},
    };
    if (tls_key != NULL && tls_cert != NULL) {
        flags |= MHD_USE_TLS;
    }
    return MHD_start_daemon(
        flags, 0, NULL, NULL, handler, handler_cls,
        MHD_OPTION_ARRAY, tls,
        MHD_OPTION_SOCK_ADDR, address,
        MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
        MHD_OPTION_URI_LOG_CALLBACK, uri_callback, uri_cls,
        MHD_OPTION_NOTIFY_CONNECTION, connection_callback, connection_cls,
        MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, listen_backlog,
        MHD_OPTION_END);
}

/// Whether this libmicrohttpd was built with TLS support.
static inline int mapc_mhd_supports_tls(void) {
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/// The port the daemon is bound to, or 0 when unknown.
static inline uint16_t mapc_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// The peer address of a connection, or NULL when unknown.
static inline const struct sockaddr *mapc_mhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

/// The connection's socket, or -1 when unknown.
static inline int mapc_mhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

/// The pointer stored in the connection's socket context by the connection callback, or NULL.
static inline void *mapc_mhd_socket_context(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info == NULL ? NULL : info->socket_context;
}

#endif
