// Conformance: the transaction-scoped operations Conversations builds on, and the list queries
// the REST API pages through.
import Store
import XCTest

extension StoreConformance {
    func conversationsAreFoundOrCreatedOncePerNumberAndCustomer() throws {
        try run { store in
            let (first, again, other) = try store.write { tx in
                (try tx.findOrCreateConversation(phoneNumberID: "PN1", waID: "W"),
                 try tx.findOrCreateConversation(phoneNumberID: "PN1", waID: "W"),
                 try tx.findOrCreateConversation(phoneNumberID: "PN2", waID: "W"))
            }
            XCTAssertEqual(first, again)
            XCTAssertNotEqual(first, other)
            XCTAssertEqual(try store.read { try $0.conversations(waID: "W") }.map(\.id), [first, other].sorted())
            XCTAssertEqual(try store.write { try $0.conversationIDs(waID: "W") }, [first, other].sorted())
            let fresh = try XCTUnwrap(try store.read { try $0.conversation(id: first) })
            XCTAssertEqual(fresh.phoneNumberID, "PN1")
            XCTAssertEqual(fresh.unreadCount, 0)
            XCTAssertNil(fresh.lastActivityMs)
            XCTAssertNil(try store.read { try $0.conversation(id: first + other + 100) })
        }
    }

    func contactsFillInAndReportChanges() throws {
        try run { store in
            let conversation = try store.write { try $0.findOrCreateConversation(phoneNumberID: "PN", waID: "W") }
            XCTAssertTrue(try store.write { try $0.upsertContact(key: "W", profileName: "Ana", userID: nil, nowMs: 1) })
            XCTAssertFalse(try store.write { try $0.upsertContact(key: "W", profileName: "Ana", userID: nil, nowMs: 2) },
                           "the same details change nothing")
            XCTAssertFalse(try store.write { try $0.upsertContact(key: "W", profileName: nil, userID: nil, nowMs: 3) },
                           "nil keeps what is stored")
            XCTAssertTrue(try store.write { try $0.upsertContact(key: "W", profileName: "Ana S", userID: nil, nowMs: 4) })
            XCTAssertEqual(try store.read { try $0.conversation(id: conversation) }?.name, "Ana S")
        }
    }

    func messagesAreStoredOncePerWamidAndMoveTheirConversation() throws {
        try run { store in
            let (conversation, first, duplicate) = try store.write { tx -> (Int64, Int64?, Int64?) in
                let conversation = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "W")
                let first = try tx.insertInboundMessage(Self.inbound("wamid.1", in: conversation, at: 100, preview: "first"))
                try tx.recordNewMessage(conversationID: conversation, atMs: 100_000, preview: "first")
                let duplicate = try tx.insertInboundMessage(Self.inbound("wamid.1", in: conversation, at: 100))
                return (conversation, first, duplicate)
            }
            XCTAssertNotNil(first)
            XCTAssertNil(duplicate)
            XCTAssertTrue(try store.write { try $0.messageExists(wamid: "wamid.1") })
            XCTAssertFalse(try store.write { try $0.messageExists(wamid: "wamid.2") })

            try store.write { tx in
                _ = try tx.insertInboundMessage(Self.inbound("wamid.0", in: conversation, at: 50, preview: "older"))
                try tx.recordNewMessage(conversationID: conversation, atMs: 50_000, preview: "older")
                try tx.recordActivity(conversationID: conversation, atMs: 120_000)
                try tx.recordActivity(conversationID: conversation, atMs: 90_000)
            }
            let row = try XCTUnwrap(try store.read { try $0.conversation(id: conversation) })
            XCTAssertEqual(row.unreadCount, 2)
            XCTAssertEqual(row.lastMessagePreview, "first", "an older message does not replace a newer preview")
            XCTAssertEqual(row.lastMessageAtMs, 100_000)
            XCTAssertEqual(row.lastActivityMs, 120_000, "activity only moves forwards")

            let message = try XCTUnwrap(try store.read { try $0.messagePage(waID: "W", limit: 1, before: nil) }.first)
            XCTAssertEqual(message.wamid, "wamid.1")
            XCTAssertEqual(message.direction, "in")
            XCTAssertEqual(message.type, "text")
            XCTAssertEqual(message.status, "received")
            XCTAssertEqual(message.preview, "first")
            XCTAssertEqual(message.timestampS, 100)
            XCTAssertEqual(message.phoneNumberID, "PN")
            XCTAssertEqual(message.conversationID, conversation)
            XCTAssertNil(try store.write { try $0.messageErrorJSON(id: message.id) })
        }
    }

    func statusesAreRecordedOnceAndFoundByWamid() throws {
        try run { store in
            let messageID = try store.write { tx -> Int64? in
                let conversation = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "W")
                return try tx.insertInboundMessage(Self.inbound("wamid.S", in: conversation, at: 1))
            }
            let id = try XCTUnwrap(messageID)
            let delivered = StatusRecord(wamid: "wamid.S", status: "delivered", timestampS: 2, errorsJSON: nil, receivedAtMs: 20)
            let failed = StatusRecord(wamid: "wamid.S", status: "failed", timestampS: 3, errorsJSON: #"[{"code":1}]"#,
                                      receivedAtMs: 30)
            XCTAssertTrue(try store.write { try $0.recordStatus(delivered) })
            XCTAssertFalse(try store.write { try $0.recordStatus(delivered) }, "once per (wamid, status)")
            XCTAssertTrue(try store.write { try $0.recordStatus(failed) })
            XCTAssertTrue(try store.write { try $0.recordStatus(StatusRecord(
                wamid: "wamid.EARLY", status: "sent", timestampS: 1, errorsJSON: nil, receivedAtMs: 5)) },
                "a status may arrive before its message")
            XCTAssertEqual(try store.write { try $0.recordedStatuses(wamid: "wamid.S") }, [delivered, failed])

            let target = try XCTUnwrap(try store.write { try $0.statusTarget(wamid: "wamid.S") })
            XCTAssertEqual(target.messageID, id)
            XCTAssertEqual(target.currentStatus, "received")
            XCTAssertEqual(target.waID, "W")
            XCTAssertNil(try store.write { try $0.statusTarget(wamid: "wamid.EARLY") })

            try store.write { try $0.setMessageStatus(id: id, status: "delivered", rank: 2, errorsJSON: nil) }
            XCTAssertEqual(try store.write { try $0.messageStatus(id: id) }, MessageStatus(wamid: "wamid.S", status: "delivered"))
            try store.write { try $0.setMessageStatus(id: id, status: "failed", rank: 100, errorsJSON: #"[{"code":1}]"#) }
            XCTAssertEqual(try store.write { try $0.messageErrorJSON(id: id) }, #"[{"code":1}]"#)
            try store.write { try $0.setMessageStatus(id: id, status: "failed", rank: 100, errorsJSON: nil) }
            XCTAssertEqual(try store.write { try $0.messageErrorJSON(id: id) }, #"[{"code":1}]"#, "nil keeps the stored errors")
            XCTAssertNil(try store.write { try $0.messageStatus(id: id + 1_000) })

            let statuses = try store.read { try $0.statuses(ofWamids: ["wamid.S", "wamid.NONE"]) }
            XCTAssertEqual(statuses["wamid.S"]?.map(\.status), ["delivered", "failed"])
            XCTAssertEqual(statuses["wamid.S"]?.last?.errorsJSON, #"[{"code":1}]"#)
            XCTAssertNil(statuses["wamid.NONE"])
            XCTAssertEqual(try store.read { try $0.statuses(ofWamids: []) }, [:])
        }
    }

    func conversationPagesRunNewestActivityFirst() throws {
        try run { store in
            // Activity 300, 200, 200 (tie: higher id first), none (sorts as 0, last).
            let ids = try store.write { tx -> [Int64] in
                let quiet = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "Q")
                let a = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "A")
                let b = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "B")
                let c = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "C")
                try tx.recordActivity(conversationID: a, atMs: 200)
                try tx.recordActivity(conversationID: b, atMs: 200)
                try tx.recordActivity(conversationID: c, atMs: 300)
                return [c, b, a, quiet]
            }
            XCTAssertEqual(try store.read { try $0.conversationPage(limit: 10, before: nil) }.map(\.id), ids)
            let first = try store.read { try $0.conversationPage(limit: 2, before: nil) }
            XCTAssertEqual(first.map(\.id), Array(ids.prefix(2)))
            let last = try XCTUnwrap(first.last)
            let rest = try store.read { try $0.conversationPage(limit: 10, before: PageKey(key: last.lastActivityMs ?? 0, id: last.id)) }
            XCTAssertEqual(rest.map(\.id), Array(ids.dropFirst(2)), "ties are split by id, nothing skipped or repeated")
        }
    }

    func messagePagesRunNewestFirstAcrossNumbers() throws {
        try run { store in
            let ids = try store.write { tx -> [Int64] in
                let one = try tx.findOrCreateConversation(phoneNumberID: "PN1", waID: "W")
                let two = try tx.findOrCreateConversation(phoneNumberID: "PN2", waID: "W")
                let other = try tx.findOrCreateConversation(phoneNumberID: "PN1", waID: "OTHER")
                let m1 = try tx.insertInboundMessage(Self.inbound("wamid.1", in: one, at: 10))!
                let m2 = try tx.insertInboundMessage(Self.inbound("wamid.2", in: two, at: 30))!
                let m3 = try tx.insertInboundMessage(Self.inbound("wamid.3", in: one, at: 30))!
                _ = try tx.insertInboundMessage(Self.inbound("wamid.X", in: other, at: 40))
                return [m3, m2, m1]
            }
            XCTAssertEqual(try store.read { try $0.messagePage(waID: "W", limit: 10, before: nil) }.map(\.id), ids)
            let first = try store.read { try $0.messagePage(waID: "W", limit: 1, before: nil) }
            let last = try XCTUnwrap(first.last)
            let rest = try store.read { try $0.messagePage(waID: "W", limit: 10, before: PageKey(key: last.timestampS ?? 0, id: last.id)) }
            XCTAssertEqual(rest.map(\.id), Array(ids.dropFirst()))
            XCTAssertEqual(try store.read { try $0.messagePage(waID: "NOBODY", limit: 10, before: nil) }, [])
        }
    }

    func markReadClearsUnreadOnEveryConversationOfTheCustomer() throws {
        try run { store in
            try store.write { tx in
                for phone in ["PN1", "PN2"] {
                    let id = try tx.findOrCreateConversation(phoneNumberID: phone, waID: "W")
                    try tx.recordNewMessage(conversationID: id, atMs: 10, preview: "p")
                }
                let other = try tx.findOrCreateConversation(phoneNumberID: "PN1", waID: "OTHER")
                try tx.recordNewMessage(conversationID: other, atMs: 10, preview: "p")
            }
            try store.write { try $0.markRead(waID: "W", nowMs: 99) }
            XCTAssertEqual(try store.read { try $0.conversations(waID: "W") }.map(\.unreadCount), [0, 0])
            XCTAssertEqual(try store.read { try $0.conversations(waID: "OTHER") }.map(\.unreadCount), [1])
            try store.write { try $0.markRead(waID: "NOBODY", nowMs: 99) }
        }
    }

    func atomicallyUndoesOnlyItsOwnWrites() throws {
        try run { store in
            try store.write { tx in
                _ = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "KEPT")
                XCTAssertThrowsError(try tx.atomically {
                    _ = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "UNDONE")
                    throw ConformanceFailure()
                })
                try tx.storeWebhookEvent(field: "account_update", valueJSON: "{}", nowMs: 1)
                try tx.storeWebhookEvent(field: "account_update", valueJSON: "{}", nowMs: 2)
            }
            XCTAssertEqual(try store.read { try $0.conversations(waID: "KEPT") }.count, 1)
            XCTAssertEqual(try store.read { try $0.conversations(waID: "UNDONE") }, [])
        }
    }

    func aFailedWriteCommitsNothing() throws {
        try run { store in
            XCTAssertThrowsError(try store.write { tx in
                _ = try tx.findOrCreateConversation(phoneNumberID: "PN", waID: "GONE")
                throw ConformanceFailure()
            })
            XCTAssertEqual(try store.read { try $0.conversations(waID: "GONE") }, [])
        }
    }
}
