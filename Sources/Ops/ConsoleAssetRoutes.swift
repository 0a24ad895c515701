// The ops console (clients/console), served by the server from the binary: GET /console is the
// page, /console/<file> its stylesheet and ES modules; the JS client it imports is
// /client/switchboard.js (ClientAssetRoutes). Every answer carries a Content-Security-Policy that
// allows only this origin's scripts, styles and connections (no inline script, no other host):
// the page holds an ops token, so an injected script must have nowhere to run or to send it.
import HTTP

extension StaticAssetRoutes {
    /// `connect-src 'self'` also admits ws:/wss: to this same host and port (CSP Level 3; the
    /// browser test checks that Chromium connects /ws under it), and no other host's socket.
    public static let consolePolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    public static let console = StaticAssetRoutes(
        assets: Dictionary(uniqueKeysWithValues: ClientAssets.console.map { file in
            (file.name == "index.html" ? "/console" : "/console/" + file.name,
             StaticAsset(body: Array(file.text.utf8), contentType: contentType(of: file.name)))
        }),
        headers: [("Content-Security-Policy", consolePolicy), ("X-Frame-Options", "DENY"),
                  ("Referrer-Policy", "no-referrer")])

    static func contentType(of name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".js") { return "application/javascript; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        return "application/octet-stream"
    }
}
