// The schema, versioned by PRAGMA user_version. Each migration runs once, in its own transaction.

public enum Migrations {
    /// Append only: a released migration is never edited, a change is a new entry.
    static let steps: [String] = [schemaVersion1, schemaVersion2, schemaVersion3]

    public static var latestVersion: Int { steps.count }

    /// Brings `db` to `latestVersion`. Idempotent: applied versions are skipped. A database
    /// from a newer build (user_version beyond what we know) is refused rather than guessed at.
    public static func apply(_ db: Database) throws {
        let current = try version(of: db)
        guard current <= latestVersion else {
            throw StoreError(code: "schema_too_new",
                             message: "database schema version \(current) is newer than this build's \(latestVersion)")
        }
        for (offset, sql) in steps.enumerated() where offset + 1 > current {
            try db.transaction {
                try db.execute(sql)
                try db.execute("PRAGMA user_version = \(offset + 1)")
            }
        }
    }

    public static func version(of db: Database) throws -> Int {
        Int(try db.firstRow("PRAGMA user_version") { $0.int64(0) } ?? 0)
    }

    static let schemaVersion1 = """
    CREATE TABLE inbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at_ms INTEGER NOT NULL,
        body BLOB NOT NULL,
        signature TEXT,
        correlation_id TEXT,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at_ms INTEGER NOT NULL,
        last_error TEXT,
        processed_at_ms INTEGER
    );
    CREATE INDEX inbox_by_status_due ON inbox(status, next_attempt_at_ms);

    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        inbox_id INTEGER NOT NULL,
        failed_at_ms INTEGER NOT NULL,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        replayed_at_ms INTEGER
    );
    CREATE INDEX dead_letters_by_inbox ON dead_letters(inbox_id);

    CREATE TABLE contacts (
        wa_id TEXT PRIMARY KEY,
        profile_name TEXT,
        user_id TEXT,
        updated_at_ms INTEGER
    );

    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        phone_number_id TEXT NOT NULL,
        wa_id TEXT NOT NULL,
        last_message_preview TEXT,
        last_message_at_ms INTEGER,
        unread_count INTEGER NOT NULL DEFAULT 0,
        last_activity_ms INTEGER,
        UNIQUE (phone_number_id, wa_id)
    );
    CREATE INDEX conversations_by_activity ON conversations(last_activity_ms DESC);

    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        wamid TEXT UNIQUE,
        conversation_id INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        type TEXT,
        body_json TEXT,
        timestamp_s INTEGER,
        status TEXT CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed')),
        status_rank INTEGER NOT NULL DEFAULT 0,
        error_json TEXT,
        created_at_ms INTEGER
    );
    CREATE INDEX messages_by_conversation_time ON messages(conversation_id, timestamp_s, id);

    CREATE TABLE statuses (
        wamid TEXT NOT NULL,
        status TEXT NOT NULL,
        timestamp_s INTEGER,
        errors_json TEXT,
        received_at_ms INTEGER,
        PRIMARY KEY (wamid, status)
    );

    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        message_id INTEGER,
        conversation_id INTEGER,
        to_wa_id TEXT NOT NULL,
        phone_number_id TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'retrying', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at_ms INTEGER,
        wamid TEXT,
        last_error TEXT,
        idempotency_key TEXT UNIQUE,
        correlation_id TEXT,
        created_at_ms INTEGER,
        updated_at_ms INTEGER
    );
    CREATE INDEX outbox_by_status_due ON outbox(status, next_attempt_at_ms);

    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    """

    /// Inbound conversation logic (issue 4):
    /// - `messages` is rebuilt (SQLite cannot drop a CHECK) so that `status` may hold any status
    ///   Meta sends ("played", and new ones), not only the five of version 1 — a status outside
    ///   that list must never make a whole webhook fail. It also gains `preview`, the one-line
    ///   summary shown by the REST list (recomputing it would need the decoder).
    /// - `conversations` gains `last_read_at_ms` (set by mark-read) and indexes for the wa_id
    ///   lookups and the (activity, id) cursor order.
    /// - `webhook_events` keeps what is not a message or a status: other `field` values, value-
    ///   level `errors[]`, and messages that name no sender. Unique on (field, value_json) so a
    ///   redelivered payload stores nothing new.
    static let schemaVersion2 = """
    CREATE TABLE messages_v2 (
        id INTEGER PRIMARY KEY,
        wamid TEXT UNIQUE,
        conversation_id INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        type TEXT,
        body_json TEXT,
        timestamp_s INTEGER,
        status TEXT,
        status_rank INTEGER NOT NULL DEFAULT 0,
        error_json TEXT,
        created_at_ms INTEGER,
        preview TEXT
    );
    INSERT INTO messages_v2 (id, wamid, conversation_id, direction, type, body_json, timestamp_s,
                             status, status_rank, error_json, created_at_ms)
        SELECT id, wamid, conversation_id, direction, type, body_json, timestamp_s,
               status, status_rank, error_json, created_at_ms FROM messages;
    DROP TABLE messages;
    ALTER TABLE messages_v2 RENAME TO messages;
    CREATE INDEX messages_by_conversation_time ON messages(conversation_id, timestamp_s, id);

    ALTER TABLE conversations ADD COLUMN last_read_at_ms INTEGER;
    CREATE INDEX conversations_by_wa_id ON conversations(wa_id);
    CREATE INDEX conversations_by_activity_id ON conversations(last_activity_ms DESC, id DESC);

    CREATE TABLE webhook_events (
        id INTEGER PRIMARY KEY,
        field TEXT NOT NULL,
        value_json TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL,
        UNIQUE (field, value_json)
    );
    """

    /// Outbound sending (issue 5): the sender picks, per (phone number, recipient), only the
    /// oldest message not yet finished, so it needs the unfinished rows of one recipient by
    /// insertion order (rowid, implicit in every index). A partial index keeps it small: sent and
    /// failed rows, the vast majority over time, are not in it.
    static let schemaVersion3 = """
    CREATE INDEX outbox_pending_by_recipient ON outbox(phone_number_id, to_wa_id)
        WHERE status IN ('queued', 'retrying', 'sending');
    """
}
