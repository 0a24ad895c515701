// Serves files embedded in the binary: GET (and HEAD) per path, with ETag and If-None-Match.
// Used for the JS client and demo page, and for the ops console (one more table, plus headers
// such as its Content-Security-Policy on every answer, 304s included).
import HTTP
import Server

public struct StaticAssetRoutes: Sendable {
    public let assets: [String: StaticAsset]
    /// Added to every answer of these routes.
    public let headers: [(name: String, value: String)]

    public init(assets: [String: StaticAsset], headers: [(name: String, value: String)] = []) {
        self.assets = assets
        self.headers = headers
    }

    public func register(on server: Server) {
        let headers = self.headers
        for (path, asset) in assets {
            server.addRoute(.get, path) { ctx in
                var response = asset.response(ifNoneMatch: ctx.request.headers["If-None-Match"])
                for h in headers { response.headers.add(h.name, h.value) }
                return .response(response)
            }
        }
    }
}
