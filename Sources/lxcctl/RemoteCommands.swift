import ArgumentParser
import Foundation
import LXC
import LXD

struct RemoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "Add, list and remove remote LXD daemons, whose instances the other commands reach as REMOTE:NAME.",
        discussion: """
            A remote is an LXD daemon lxcctl knows by name: its unix socket \
            (unix:///var/lib/lxd/unix.socket) or an HTTPS address (https://HOST:8443). ls, info, \
            start, stop, freeze, unfreeze, wait, destroy, exec, snapshot, push, pull, copy and \
            move then work on its instances, named REMOTE:NAME or with --remote REMOTE.

            The remotes are kept in remotes.json in lxcctl's configuration directory: \
            $LXCCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/lxcctl, else ~/.config/lxcctl. For HTTPS the \
            server's certificate is pinned there when the remote is added, and lxcctl's client \
            certificate and key (client.crt, client.key, mode 0600) are kept beside it.

            Examples:
              lxcctl remote add lab unix:///var/lib/lxd/unix.socket
              lxcctl remote add big https://HOST:8443 --token TOKEN --accept-certificate
              lxcctl remote list
              lxcctl ls lab:
              lxcctl exec lab:web -- uname -a
              lxcctl remote remove lab
            """,
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a remote LXD daemon under a name, after checking that it answers.",
            discussion: """
                For a unix socket the daemon is asked its version, and the remote is kept. For \
                HTTPS the server's certificate is fetched and its SHA-256 fingerprint shown; it \
                is pinned once accepted (--accept-certificate, or "y" on a terminal), and the \
                server is asked to trust lxcctl's client certificate with --token (from lxc \
                config trust add on the server) or --password (the server's \
                core.trust_password).

                Examples:
                  lxcctl remote add lab unix:///var/lib/lxd/unix.socket
                  lxcctl remote add big https://HOST:8443 --token TOKEN --accept-certificate
                  lxcctl remote add box https://HOST --password s3cret
                """
        )

        @Argument(help: "The remote's name: letters, digits, \"-\", \"_\" and \".\".") var name: String
        @Argument(help: ArgumentHelp("unix:///PATH/unix.socket or https://HOST[:PORT].", valueName: "url")) var url: String
        @Option(help: "The server's trust password (HTTPS only).") var password: String?
        @Option(help: "A trust token from the server (HTTPS only).") var token: String?
        @Flag(help: "Pin the server's certificate without asking (HTTPS only).") var acceptCertificate = false

        func validate() throws {
            guard RemoteStore.isValidName(name) else {
                throw ValidationError("\"\(name)\" cannot name a remote: use letters, digits, \"-\", \"_\" and \".\", not starting with \"-\"")
            }
            if password != nil && token != nil { throw ValidationError("give --password or --token, not both") }
            if case .unixSocket = try Remote.address(of: url), password != nil || token != nil || acceptCertificate {
                throw ValidationError("--password, --token and --accept-certificate are for HTTPS remotes; a unix socket needs no trust")
            }
        }

        func run() async throws {
            var store = try RemoteStore.load()
            if store.remotes[name] != nil {
                throw ValidationError("a remote called \"\(name)\" exists already (\(store.remotes[name]?.url ?? "")); remove it first: lxcctl remote remove \(name)")
            }
            let remote: Remote
            switch try Remote.address(of: url) {
            case .unixSocket(let path):
                try requireSocket(path, remote: name)
                let version = try await LXDClient(socketPath: path).serverVersion()
                remote = Remote(url: url)
                print("Remote \(name) added: LXD \(version) at \(path)")
            case .https(let url):
                remote = try await addHTTPSRemote(name: name, url: url, password: password, token: token,
                                                  acceptCertificate: acceptCertificate, store: store)
                print("Remote \(name) added: \(url)")
            }
            store.remotes[name] = remote
            try store.save()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the remotes with their URL and, for HTTPS, the pinned certificate's fingerprint.",
            discussion: """
                The JSON form is an array of objects with name, url, protocol ("unix" or \
                "https") and certificateFingerprint (null for a unix socket).

                Examples:
                  lxcctl remote list
                  lxcctl remote list --format json
                """,
            aliases: ["ls"]
        )

        @Option(name: .long, help: "table or json.") var format: OutputFormat = .table

        struct Row: Encodable {
            var name: String
            var url: String
            var `protocol`: String
            var certificateFingerprint: String?

            enum CodingKeys: String, CodingKey { case name, url, `protocol`, certificateFingerprint }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(url, forKey: .url)
                try container.encode(`protocol`, forKey: .protocol)
                try container.encode(certificateFingerprint, forKey: .certificateFingerprint)
            }
        }

        func run() async throws {
            let store = try RemoteStore.load()
            let rows = store.remotes.keys.sorted().compactMap { name -> Row? in
                guard let remote = store.remotes[name] else { return nil }
                let isUnix = remote.url.hasPrefix("unix://")
                return Row(name: name, url: remote.url, protocol: isUnix ? "unix" : "https",
                           certificateFingerprint: remote.serverCertificate.flatMap { try? LXDClient.fingerprint(ofCertificate: $0) })
            }
            switch format {
            case .json:
                try printJSON(rows)
            case .table:
                printTable(["NAME", "URL", "PROTOCOL", "FINGERPRINT"], rows.map { row in
                    [row.name, row.url, row.protocol, row.certificateFingerprint.map { String($0.prefix(12)) } ?? "-"]
                })
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Forget a remote (its instances are left as they are).",
            discussion: "Example:\n  lxcctl remote remove lab",
            aliases: ["rm"]
        )

        @Argument(help: "The remote.") var name: String

        func run() async throws {
            var store = try RemoteStore.load()
            _ = try store.remote(name)
            store.remotes[name] = nil
            try store.save()
        }
    }
}
