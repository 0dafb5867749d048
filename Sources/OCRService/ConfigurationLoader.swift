// Builds a `Configuration` from defaults, then the YAML file, then the
// environment, then command-line overrides; each layer wins over the last.

import Foundation
import Yams

public enum ConfigurationLoader {
    /// `overrides` are dotted keys from flags, e.g. ["server.port": "9090"].
    public static func load(
        file: String?, environment: [String: String], overrides: [String: String] = [:]
    ) throws(ConfigurationError) -> Configuration {
        var config = Configuration()
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw .unreadableFile(path: file) }
            try apply(yaml: String(decoding: data, as: UTF8.self), name: file, to: &config)
        }
        try apply(environment: environment, to: &config)
        for (path, value) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let key = ConfigurationSchema.byPath[path] else { throw .unknownKey(path, source: "command line") }
            let raw: RawConfigValue = key.isList ? .list(splitList(value)) : .scalar(value)
            try key.apply(&config, raw, "command line")
        }
        return config
    }

    /// Applies a YAML document. Unknown keys and wrong shapes are errors.
    public static func apply(yaml: String, name: String, to config: inout Configuration) throws(ConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? "parse error"
            throw .malformedFile(path: name, reason: reason)
        }
        guard let root else { return }  // An empty file keeps the defaults.
        guard case .mapping(let mapping) = root else {
            throw .malformedFile(path: name, reason: "the top level must be a mapping")
        }
        try walk(mapping, prefix: "", source: name, into: &config)
    }

    private static func walk(_ mapping: Node.Mapping, prefix: String, source: String, into config: inout Configuration) throws(ConfigurationError) {
        for (keyNode, valueNode) in mapping {
            guard let name = keyNode.scalar?.string else { throw .malformedFile(path: source, reason: "keys must be strings") }
            let path = prefix.isEmpty ? name : prefix + "." + name
            if ConfigurationSchema.sections.contains(path) {
                if case .mapping(let inner) = valueNode {
                    try walk(inner, prefix: path, source: source, into: &config)
                } else if !(valueNode.scalar.map(isNull) ?? false) {
                    throw .wrongType(key: path, expected: "a mapping", got: describe(valueNode), source: source)
                }
                continue
            }
            guard let key = ConfigurationSchema.byPath[path] else { throw .unknownKey(path, source: source) }
            let raw: RawConfigValue
            switch valueNode {
            case .scalar(let scalar):
                raw = .scalar(scalar.string)
            case .sequence(let sequence):
                var items: [String] = []
                for item in sequence {
                    guard case .scalar(let scalar) = item else {
                        throw .wrongType(key: path, expected: "a list of strings", got: describe(valueNode), source: source)
                    }
                    items.append(scalar.string)
                }
                raw = .list(items)
            default:
                throw .wrongType(key: path, expected: key.isList ? "a list of strings" : "a single value", got: describe(valueNode), source: source)
            }
            try key.apply(&config, raw, source)
        }
    }

    /// Applies OCR_<SECTION>_<KEY> variables (and the OCR_PORT / OCR_HOST aliases).
    /// Other variables, even with the OCR_ prefix, are ignored: the environment
    /// is shared with tools that have their own OCR_ settings.
    public static func apply(environment: [String: String], to config: inout Configuration) throws(ConfigurationError) {
        var pairs: [(String, ConfigKey, String)] = []
        for (alias, path) in ConfigurationSchema.environmentAliases.sorted(by: { $0.key < $1.key }) {
            if let value = environment[alias], let key = ConfigurationSchema.byPath[path] { pairs.append((alias, key, value)) }
        }
        for key in ConfigurationSchema.keys {
            if let value = environment[key.environmentName] { pairs.append((key.environmentName, key, value)) }
        }
        for (name, key, value) in pairs {
            let raw: RawConfigValue = key.isList ? .list(splitList(value)) : .scalar(value)
            try key.apply(&config, raw, "environment \(name)")
        }
    }

    static func splitList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func isNull(_ scalar: Node.Scalar) -> Bool {
        ["", "~", "null", "Null", "NULL"].contains(scalar.string) && scalar.style == .plain
    }

    private static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return scalar.string
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

extension ConfigKey {
    var isList: Bool { path == "api.cors_origins" || path == "api.api_keys" }
}
