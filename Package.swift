// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-lxc",
    products: [
        .library(name: "LXC", targets: ["LXC"]),
        .executable(name: "lxcctl", targets: ["lxcctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // liblxc's public headers, found with pkg-config (Debian: lxc-dev).
        .systemLibrary(
            name: "CLXC",
            pkgConfig: "lxc",
            providers: [.apt(["lxc-dev"])]
        ),
        .target(
            name: "LXC",
            dependencies: ["CLXC"]
        ),
        .executableTarget(
            name: "lxcctl",
            dependencies: [
                "LXC",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "quickstart",
            dependencies: ["LXC"],
            path: "Examples/QuickStart"
        ),
        // The benchmark: the same scenarios through the library and through liblxc from C.
        .target(
            name: "CLXCBench",
            dependencies: ["CLXC"],
            path: "Benchmarks/CLXCBench"
        ),
        .executableTarget(
            name: "lxc-bench",
            dependencies: ["LXC", "CLXCBench"],
            path: "Benchmarks/LXCBench"
        ),
        .testTarget(
            name: "LXCTests",
            dependencies: ["LXC"]
        ),
        .testTarget(
            name: "LXCIntegrationTests",
            dependencies: ["LXC"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
