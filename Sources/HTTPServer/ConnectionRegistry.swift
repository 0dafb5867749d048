// Every open connection, for the connection cap and for draining on shutdown.

import Foundation

final class ConnectionRegistry: @unchecked Sendable {
    enum Admission {
        /// Serve it; counts against the cap.
        case serve(id: Int)
        /// Over the cap: answer 503 and close.
        case reject(id: Int)
        /// Over the cap with the lingering budget spent: answer 503 in one
        /// write and close at once, without waiting for the client.
        case refuse
    }

    private let lock = NSLock()
    // Guarded by `lock`:
    private var connections: [Int: Connection] = [:]
    private var rejected: Set<Int> = []
    private var nextID = 0
    private let maxConnections: Int
    /// Bounds the descriptors held by rejections that wait for the client's
    /// FIN; rejections past it are answered and closed on the spot.
    private let maxRejecting = 64

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    func admit() -> Admission {
        lock.lock()
        defer { lock.unlock() }
        nextID += 1
        if connections.count - rejected.count < maxConnections { return .serve(id: nextID) }
        if rejected.count < maxRejecting {
            rejected.insert(nextID)
            return .reject(id: nextID)
        }
        return .refuse
    }

    func register(_ connection: Connection) {
        lock.lock()
        connections[connection.id] = connection
        lock.unlock()
    }

    func remove(_ id: Int) {
        lock.lock()
        connections[id] = nil
        rejected.remove(id)
        lock.unlock()
    }

    /// Connections being served (rejected ones excluded).
    var servingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections.count - rejected.count
    }

    var totalCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections.count
    }

    func snapshot() -> [Connection] {
        lock.lock()
        defer { lock.unlock() }
        return Array(connections.values)
    }
}
