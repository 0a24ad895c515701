// The browser client and its demo page, served by the server itself: opened from disk, Chromium
// refuses the module import, and a newcomer sees a page that does nothing.
import HTTP

extension StaticAssetRoutes {
    public static let client = StaticAssetRoutes(assets: [
        "/client/switchboard.js": StaticAsset(body: Array(ClientAssets.switchboardJS.utf8),
                                              contentType: "application/javascript; charset=utf-8"),
        "/demo": StaticAsset(body: Array(ClientAssets.demoHTML.utf8), contentType: "text/html; charset=utf-8"),
    ])
}
