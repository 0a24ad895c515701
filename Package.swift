// swift-tools-version: 6.0
// Switchboard: the realtime hub of a WhatsApp Business inbox. Module boundaries follow DESIGN.md:
// C shims are wrapped by exactly one Swift module each; no-I/O modules (HTTP, WebSocket, JSON,
// Resilience, the Hub's protocol parts) depend on nothing that does I/O.
import PackageDescription

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "switchboard-bench", targets: ["switchboard-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C shims
        .target(name: "CLinux"),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),

        // Swift modules
        .target(name: "Reactor", dependencies: ["CLinux", "Locks"]),
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        .target(name: "JSON"),
        .target(name: "HTTP"),
        .target(name: "WebSocket", dependencies: ["Crypto"]),
        .target(name: "Hub", dependencies: ["JSON", "Crypto", "Locks"]),
        .target(name: "Store", dependencies: ["CSQLite", "Locks"]),
        .target(name: "Resilience"),
        .target(name: "Lifecycle"),
        .target(name: "Locks"),
        .target(name: "Conversations", dependencies: ["Store", "WhatsApp", "JSON"]),
        .target(name: "WhatsApp", dependencies: ["Crypto", "CCurl", "Resilience", "JSON"]),
        .target(name: "Observability", dependencies: [
            "Locks",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // Engine.IO v4 and Socket.IO v5 packets and sessions, without I/O.
        .target(name: "SocketIO", dependencies: ["JSON", "Crypto", "Hub"]),
        // Server core: connections, routing glue, error envelope, the hub's WebSocket endpoint.
        .target(name: "Server", dependencies: [
            "Reactor", "HTTP", "WebSocket", "Hub", "JSON", "Crypto", "Locks",
            "SocketIO",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The layers a webhook, a reply and an ops request cross.
        .target(name: "Inbound", dependencies: [
            "Server", "Reactor", "HTTP", "Hub", "JSON", "Store", "WhatsApp", "Conversations", "Observability", "Resilience", "Lifecycle",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Outbound", dependencies: [
            "Server", "Reactor", "HTTP", "Hub", "JSON", "Crypto", "Store", "WhatsApp", "Conversations", "Resilience", "Lifecycle",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Ops", dependencies: [
            "Server", "Reactor", "HTTP", "Hub", "JSON", "Store", "WhatsApp", "Resilience", "Observability", "Lifecycle", "Locks",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The Redis backplane behind the hub's publish protocol; leases for once-per-cluster work.
        .target(name: "Cluster", dependencies: ["Hub", "Reactor", "Locks", "Crypto"]),
        // Configuration, credentials and wiring only.
        .target(name: "App", dependencies: [
            "Reactor", "Crypto", "HTTP", "WebSocket", "Hub", "Store", "Observability", "Lifecycle", "Server", "Inbound", "Outbound", "Ops",
            "Cluster",
            "SocketIO",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "switchboard", dependencies: [
            "App", "Hub", "Observability", "Reactor",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "switchboard-bench", dependencies: [
            "Reactor", "WebSocket", "HTTP", "Crypto", "Hub", "JSON",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Tests: one target per module
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket"]),
        .testTarget(name: "HubTests", dependencies: ["Hub", "JSON"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "ResilienceTests", dependencies: ["Resilience"]),
        .testTarget(name: "ConversationsTests", dependencies: ["Conversations", "Store", "WhatsApp"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "WhatsAppTests", dependencies: ["WhatsApp", "JSON", "Resilience"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor"]),
        .testTarget(name: "LifecycleTests", dependencies: ["Lifecycle"]),
        .testTarget(name: "LocksTests", dependencies: ["Locks"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Hub"]),
        .testTarget(name: "SwitchboardBenchTests", dependencies: ["switchboard-bench"]),
        .testTarget(name: "AppTests", dependencies: ["App", "Resilience"]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "HTTP", "Hub", "Reactor", "WebSocket",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "InboundTests", dependencies: ["Inbound", "Store"]),
        .testTarget(name: "OpsTests", dependencies: ["Ops", "HTTP"]),
        .testTarget(name: "OutboundTests", dependencies: ["Outbound", "Server", "Resilience", "Store", "WhatsApp", "JSON"]),
        .testTarget(name: "SocketIOTests", dependencies: ["SocketIO", "Hub", "JSON"]),
        .testTarget(name: "ObservabilityTests", dependencies: [
            "Observability",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// Generic hot-path types (Router, buffers) cross module boundaries; without cross-module
// optimization every request pays for runtime generic metadata lookups.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
    ]
}
