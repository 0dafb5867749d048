// The key-by-key list printed by --help, generated from the schema so it
// can never drift from what the loader accepts.

import OCRService

enum ConfigurationHelp {
    static let text: String = {
        var lines = [
            "Configuration comes from config.yaml (or --config), then environment",
            "variables, then flags; later sources win. Keys (environment variable):",
        ]
        for key in ConfigurationKeys.all {
            lines.append("  \(key.path) (\(key.environmentName)): \(key.summary)")
        }
        lines.append("OCR_PORT and OCR_HOST are short forms of OCR_SERVER_PORT / OCR_SERVER_HOST.")
        lines.append("Lists in the environment or --set are comma-separated. A bad value exits with status 2.")
        return lines.joined(separator: "\n")
    }()
}
