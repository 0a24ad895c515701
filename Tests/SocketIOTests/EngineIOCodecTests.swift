import XCTest
@testable import SocketIO

final class EngineIOCodecTests: XCTestCase {
    private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testDecodesEveryTextPacketType() throws {
        for type in EngineIOPacketType.allCases {
            let packet = try EngineIOCodec.decodeText(b("\(type.rawValue)abc")[...]).get()
            XCTAssertEqual(packet, EngineIOPacket(type, "abc"))
        }
    }

    func testRefusesUnknownTypesAndEmptyPackets() {
        XCTAssertEqual(EngineIOCodec.decodeText([][...]), .failure(EngineIOParseError("empty packet")))
        XCTAssertEqual(EngineIOCodec.decodeText(b("7")[...]), .failure(EngineIOParseError("unknown packet type")))
        XCTAssertEqual(EngineIOCodec.decodeText(b("x")[...]), .failure(EngineIOParseError("unknown packet type")))
        XCTAssertEqual(EngineIOCodec.decodeText(b("/")[...]), .failure(EngineIOParseError("unknown packet type")))
    }

    func testBinaryPacketsAreBase64OnPolling() throws {
        let packet = try EngineIOCodec.decodeText(b("bAQID")[...]).get()
        XCTAssertEqual(packet, EngineIOPacket(.message, [1, 2, 3], isBinary: true))
        XCTAssertEqual(EngineIOCodec.encodeText(packet), b("bAQID"))
        XCTAssertEqual(EngineIOCodec.decodeText(b("b!!")[...]), .failure(EngineIOParseError("binary packet is not valid base64")))
    }

    func testPayloadSplitsOnRecordSeparator() throws {
        let packets = try EngineIOCodec.decodePayload(b("4hello\u{1e}2\u{1e}bAQID")).get()
        XCTAssertEqual(packets, [EngineIOPacket(.message, "hello"), EngineIOPacket(.ping), EngineIOPacket(.message, [1, 2, 3], isBinary: true)])
        XCTAssertEqual(EngineIOCodec.encodePayload(packets), b("4hello\u{1e}2\u{1e}bAQID"))
    }

    func testPayloadWithAnEmptyOrBadRecordIsRefusedWhole() {
        XCTAssertNotNil(try? EngineIOCodec.decodePayload(b("4a")).get())
        XCTAssertNil(try? EngineIOCodec.decodePayload([]).get())
        XCTAssertNil(try? EngineIOCodec.decodePayload(b("4a\u{1e}")).get())
        XCTAssertNil(try? EngineIOCodec.decodePayload(b("4a\u{1e}9")).get())
    }

    func testOpenPacketIsExactlyTheReferenceShape() {
        let open = EngineIOSettings().openPacket(sid: "abc_-1", upgrades: ["websocket"])
        XCTAssertEqual(String(decoding: open, as: UTF8.self),
                       #"0{"sid":"abc_-1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
        XCTAssertEqual(String(decoding: EngineIOSettings().openPacket(sid: "s", upgrades: []), as: UTF8.self),
                       #"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
    }

    func testErrorBodiesMatchEngineIO() {
        XCTAssertEqual(String(decoding: EngineIOError.unknownSid.body, as: UTF8.self), #"{"code":1,"message":"Session ID unknown"}"#)
        XCTAssertEqual(String(decoding: EngineIOError.unknownTransport.body, as: UTF8.self), #"{"code":0,"message":"Transport unknown"}"#)
        XCTAssertEqual(String(decoding: EngineIOError.unsupportedProtocolVersion.body, as: UTF8.self), #"{"code":5,"message":"Unsupported protocol version"}"#)
        XCTAssertEqual(EngineIOError.forbidden.status, 403)
        XCTAssertEqual(EngineIOError.badRequest.status, 400)
    }
}

final class EngineIORequestCheckTests: XCTestCase {
    private func classify(_ method: String = "GET", eio: String? = "4", transport: String? = "polling", sid: String? = nil,
                          upgrade: Bool = false, sessions: [String: EngineIOTransportKind] = [:]) -> Result<EngineIORequest, EngineIOError> {
        EngineIORequestCheck.classify(method: method, eio: eio, transport: transport, sid: sid, isWebSocketUpgrade: upgrade,
                                      sessionTransport: { sessions[$0] })
    }

    func testHandshakes() {
        XCTAssertEqual(classify(), .success(.handshake(.polling)))
        XCTAssertEqual(classify(transport: "websocket", upgrade: true), .success(.handshake(.websocket)))
    }

    func testErrorsInTheReferenceOrder() {
        XCTAssertEqual(classify(transport: "flashsocket"), .failure(.unknownTransport))
        XCTAssertEqual(classify(transport: nil), .failure(.unknownTransport))
        XCTAssertEqual(classify(eio: "3"), .failure(.unsupportedProtocolVersion))
        XCTAssertEqual(classify(eio: nil), .failure(.unsupportedProtocolVersion))
        XCTAssertEqual(classify("POST"), .failure(.badHandshakeMethod))
        XCTAssertEqual(classify(sid: "nope"), .failure(.unknownSid))
        XCTAssertEqual(classify(transport: "websocket", upgrade: false), .failure(.badRequest))
    }

    func testRequestsOfAnExistingSession() {
        let s: [String: EngineIOTransportKind] = ["p": .polling, "w": .websocket]
        XCTAssertEqual(classify(sid: "p", sessions: s), .success(.poll(sid: "p")))
        XCTAssertEqual(classify("POST", sid: "p", sessions: s), .success(.post(sid: "p")))
        XCTAssertEqual(classify("PUT", sid: "p", sessions: s), .failure(.badRequest))
        XCTAssertEqual(classify(transport: "websocket", sid: "p", upgrade: true, sessions: s), .success(.upgrade(sid: "p")))
        XCTAssertEqual(classify(sid: "w", sessions: s), .failure(.badRequest))
        XCTAssertEqual(classify(transport: "websocket", sid: "w", upgrade: true, sessions: s), .failure(.badRequest))
    }
}
