// The body of an inbound message by type, and the short preview the inbox list shows.

/// What a message carries. Any type this code does not know (including Meta's own `unsupported`
/// and legacy `unknown`, or a type whose object is missing) becomes `.unsupported`: it is stored
/// and shown, never an error.
public enum MessageContent: Sendable, Equatable {
    case text(body: String)
    case media(MediaAttachment)
    case location(Location)
    /// Shared contact cards: how many, and the `contacts` array as JSON (cards have many fields).
    case contacts(count: Int, rawJSON: String)
    case interactive(InteractiveReply)
    /// A template quick-reply button press.
    case button(payload: String?, text: String?)
    /// `emoji == nil` means the customer removed their reaction.
    case reaction(messageID: String?, emoji: String?)
    case order(catalogID: String?, text: String?, itemCount: Int)
    /// A system notice, e.g. the customer changed number (`waID` is the new one).
    case system(body: String?, waID: String?, type: String?)
    /// `type` is the inner `unsupported.type` when Meta gives one, else the message's type.
    case unsupported(type: String, errors: [WhatsAppError])
}

public enum MediaKind: String, Sendable, Equatable, CaseIterable {
    case image, video, audio, document, sticker
}

public struct MediaAttachment: Sendable, Equatable {
    public var kind: MediaKind
    /// The media id to download through the Graph API; nil only in a malformed payload.
    public var id: String?
    public var mimeType: String?
    public var sha256: String?
    public var caption: String?
    /// Documents only.
    public var filename: String?
    public var url: String?
    /// Audio only: true for a voice note recorded in the app.
    public var voice: Bool
    /// Stickers only.
    public var animated: Bool

    public init(
        kind: MediaKind, id: String?, mimeType: String?, sha256: String?, caption: String?,
        filename: String?, url: String?, voice: Bool, animated: Bool
    ) {
        self.kind = kind
        self.id = id
        self.mimeType = mimeType
        self.sha256 = sha256
        self.caption = caption
        self.filename = filename
        self.url = url
        self.voice = voice
        self.animated = animated
    }
}

public struct Location: Sendable, Equatable {
    public var latitude: Double?
    public var longitude: Double?
    public var name: String?
    public var address: String?
    public var url: String?

    public init(latitude: Double?, longitude: Double?, name: String?, address: String?, url: String?) {
        self.latitude = latitude
        self.longitude = longitude
        self.name = name
        self.address = address
        self.url = url
    }
}

/// A reply to an interactive message: a reply button, a list row, or a submitted Flow.
public struct InteractiveReply: Sendable, Equatable {
    /// "button_reply", "list_reply", "nfm_reply", or whatever new type Meta sends.
    public var type: String
    public var id: String?
    public var title: String?
    public var description: String?
    /// For `nfm_reply`: the Flow's `response_json` string as sent.
    public var responseJSON: String?

    public init(type: String, id: String?, title: String?, description: String?, responseJSON: String?) {
        self.type = type
        self.id = id
        self.title = title
        self.description = description
        self.responseJSON = responseJSON
    }
}

extension MessageContent {
    /// The longest text preview, in characters, before an ellipsis is added.
    public static let previewLimit = 100

    /// A one-line summary for the inbox list: "hello", "[image] caption", "[reaction] 👍".
    public var preview: String {
        switch self {
        case .text(let body):
            return Self.oneLine(body)
        case .media(let media):
            let label = media.kind == .audio && media.voice ? "voice" : media.kind.rawValue
            return Self.tagged(label, media.caption ?? media.filename)
        case .location(let location):
            if let name = location.name ?? location.address { return Self.tagged("location", name) }
            if let lat = location.latitude, let lon = location.longitude {
                return Self.tagged("location", "\(lat),\(lon)")
            }
            return "[location]"
        case .contacts(let count, _):
            return Self.tagged("contacts", count == 1 ? "1 contact" : "\(count) contacts")
        case .interactive(let reply):
            return Self.tagged("reply", reply.title ?? reply.id)
        case .button(let payload, let text):
            return Self.tagged("button", text ?? payload)
        case .reaction(_, let emoji):
            guard let emoji, !emoji.isEmpty else { return "[reaction removed]" }
            return Self.tagged("reaction", emoji)
        case .order(_, let text, let itemCount):
            let items = itemCount == 1 ? "1 item" : "\(itemCount) items"
            return Self.tagged("order", text.map { "\(items): \($0)" } ?? items)
        case .system(let body, _, _):
            return Self.tagged("system", body)
        case .unsupported(let type, _):
            return "[unsupported: \(Self.oneLine(type))]"
        }
    }

    private static func tagged(_ tag: String, _ text: String?) -> String {
        guard let text, !text.isEmpty else { return "[\(tag)]" }
        return "[\(tag)] " + oneLine(text)
    }

    /// Newlines become spaces and long text is cut at `previewLimit` characters (grapheme
    /// clusters, so an emoji is never split) with a trailing "…".
    static func oneLine(_ text: String) -> String {
        var flat = String()
        var count = 0
        for character in text {
            if count == previewLimit { return flat + "…" }
            flat.append(character.isNewline ? " " : character)
            count += 1
        }
        return flat
    }
}
