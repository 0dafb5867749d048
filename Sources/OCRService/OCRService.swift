// OCRService: the service itself: configuration, the routes, and starting and
// stopping the HTTP server.
//
// Owns: the one configuration schema (file, environment, flags) and route
// registration. Must never: parse HTTP or touch sockets (that is HTTPServer's
// job), or hold OCR math (that lives in Recognition and below).
