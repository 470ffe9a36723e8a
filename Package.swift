// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-lxc",
    products: [
        .library(name: "LXC", targets: ["LXC"]),
        .library(name: "LXCCore", targets: ["LXCCore"]),
        .library(name: "LXCLogging", targets: ["LXCLogging"]),
        .library(name: "LXD", targets: ["LXD"]),
        .executable(name: "lxcctl", targets: ["lxcctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // liblxc's public headers, found with pkg-config (Debian: lxc-dev).
        .systemLibrary(
            name: "CLXC",
            pkgConfig: "lxc",
            providers: [.apt(["lxc-dev"])]
        ),
        // What every backend shares (states, exit statuses, output, errors, limits, the
        // container protocol); no liblxc, no Foundation. LXC re-exports it.
        .target(name: "LXCCore"),
        .target(
            name: "LXC",
            dependencies: ["LXCCore", "CLXC"]
        ),
        // The LXD backend: the same container protocol over LXD's REST API; no liblxc.
        .target(
            name: "LXD",
            dependencies: [
                "LXCCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // liblxc's log, forwarded to a swift-log Logger; apart, so the core needs no dependency.
        .target(
            name: "LXCLogging",
            dependencies: ["LXC", "CLXC", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "lxcctl",
            dependencies: [
                "LXC",
                "LXD",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "quickstart",
            dependencies: ["LXC"],
            path: "Examples/QuickStart"
        ),
        // More examples, each one file: swift run capture-output | snapshot-restore | resource-limits | job-runner
        .executableTarget(
            name: "capture-output",
            dependencies: ["LXC"],
            path: "Examples/CaptureOutput"
        ),
        .executableTarget(
            name: "snapshot-restore",
            dependencies: ["LXC"],
            path: "Examples/SnapshotRestore"
        ),
        .executableTarget(
            name: "resource-limits",
            dependencies: ["LXC"],
            path: "Examples/ResourceLimits"
        ),
        // The job runner of issue #20: throwaway limited copies, files in, output under a time limit.
        .executableTarget(
            name: "job-runner",
            dependencies: ["LXC"],
            path: "Examples/JobRunner"
        ),
        // The job runner moved to an LXD cluster (Sources/LXD/LXD.docc/FromOneHostToACluster.md);
        // it uses the LXD product only, and scripts/test-core.sh builds it with liblxc hidden.
        .executableTarget(
            name: "cluster-job-runner",
            dependencies: ["LXD"],
            path: "Examples/ClusterJobRunner"
        ),
        // The benchmark: the same scenarios through the library and through liblxc from C.
        .target(
            name: "CLXCBench",
            dependencies: ["CLXC"],
            path: "Benchmarks/CLXCBench"
        ),
        // The C floor as a program of its own (lxc-bench runs it next to itself each round).
        .executableTarget(
            name: "lxc-bench-c",
            dependencies: ["CLXCBench"],
            path: "Benchmarks/LXCBenchC"
        ),
        .executableTarget(
            name: "lxc-bench",
            dependencies: ["LXC", "CLXCBench", "lxc-bench-c"],
            path: "Benchmarks/LXCBench"
        ),
        // The LXD client against raw REST from Python and against pylxd (Benchmarks/README.md,
        // "LXD client"); the Python sides are scripts it runs, not built here.
        .executableTarget(
            name: "lxd-bench",
            dependencies: ["LXD", "LXCCore"],
            path: "Benchmarks/LXDBench",
            exclude: ["bench_protocol.py", "raw_rest.py", "pylxd_bench.py"]
        ),
        // For the integration tests: attaches from a program's only thread (see its main.swift).
        .executableTarget(
            name: "attach-descriptor-probe",
            dependencies: ["LXC"],
            path: "Tests/Helpers/AttachDescriptorProbe"
        ),
        // For the LXD tests: LXD calls while its own cooperative pool is blocked (see its main.swift).
        .executableTarget(
            name: "busy-pool-probe",
            dependencies: ["LXD"],
            path: "Tests/Helpers/BusyPoolProbe"
        ),
        // Runs without liblxc: scripts/test-core.sh builds it with liblxc hidden.
        .testTarget(
            name: "LXCCoreTests",
            dependencies: ["LXCCore"]
        ),
        .testTarget(
            name: "LXCTests",
            dependencies: ["LXC", "LXCLogging", .product(name: "Logging", package: "swift-log")]
        ),
        // What the integration suites of both backends share: the generic job written against
        // the container protocol, and the runner of host scripts (LXD's setup, tmux).
        .target(
            name: "ContainerProtocolChecks",
            dependencies: ["LXCCore"],
            path: "Tests/ContainerProtocolChecks"
        ),
        .testTarget(
            name: "LXCIntegrationTests",
            dependencies: ["LXC", "CLXC", "LXCLogging", "ContainerProtocolChecks",
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Against standalone LXD daemons that scripts/lxd.sh starts; no liblxc.
        .testTarget(
            name: "LXDIntegrationTests",
            dependencies: ["LXD", "LXCCore", "ContainerProtocolChecks"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
