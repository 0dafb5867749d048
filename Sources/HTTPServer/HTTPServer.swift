// HTTPServer: a small HTTP/1.1 engine on POSIX sockets and Dispatch.
//
// Owns: the listening socket, per-connection state machines, the incremental
// request parser, response serialisation, routing, problem-details errors and
// static files.
// Must never: know anything about OCR or images, read global configuration,
// or run a request handler on a connection's I/O queue (handlers run as Swift
// tasks so a slow handler never stalls another connection).
//
// See docs/ARCHITECTURE.md for how the pieces fit together.
