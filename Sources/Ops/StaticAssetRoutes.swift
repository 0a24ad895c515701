// Serves files embedded in the binary: GET (and HEAD) per path, with ETag and If-None-Match.
// Used for the JS client and demo page; any other set of assets (e.g. a console) is one more table.
import HTTP
import Server

public struct StaticAssetRoutes: Sendable {
    public let assets: [String: StaticAsset]

    public init(assets: [String: StaticAsset]) {
        self.assets = assets
    }

    public func register(on server: Server) {
        for (path, asset) in assets {
            server.addRoute(.get, path) { ctx in
                .response(asset.response(ifNoneMatch: ctx.request.headers["If-None-Match"]))
            }
        }
    }
}
