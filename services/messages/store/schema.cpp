#include "store/schema.hpp"

#include "parley/events/outbox.hpp"

namespace parley::messages {

std::vector<storage::Migration> messages_migrations() {
  return {{1,
           R"sql(
CREATE TABLE people (user_id TEXT PRIMARY KEY, username TEXT NOT NULL, dm_policy TEXT NOT NULL DEFAULT 'everyone');
CREATE TABLE contact_pairs (user_a TEXT NOT NULL, user_b TEXT NOT NULL, PRIMARY KEY (user_a, user_b)) WITHOUT ROWID;
CREATE TABLE block_pairs (blocker_id TEXT NOT NULL, blocked_id TEXT NOT NULL, PRIMARY KEY (blocker_id, blocked_id)) WITHOUT ROWID;
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT,
  direct_key TEXT UNIQUE,
  created_at TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  last_activity_at TEXT NOT NULL,
  invite_code TEXT UNIQUE,
  invite_expires_at TEXT
);
CREATE TABLE members (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_at TEXT NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user_id);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sender_id TEXT NOT NULL,
  body TEXT,
  client_id TEXT,
  created_at TEXT NOT NULL,
  edited_at TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_by_client_id ON messages(conversation_id, sender_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX messages_by_sender ON messages(sender_id);
CREATE TABLE message_edits (message_id TEXT NOT NULL, body TEXT NOT NULL, replaced_at TEXT NOT NULL);
CREATE INDEX message_edits_by_message ON message_edits(message_id);
CREATE TABLE sync_state (user_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE user_events (
  user_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
CREATE INDEX user_events_by_age ON user_events(created_at_ms);
)sql" + events::outbox_inbox_schema(storage::Dialect::sqlite),
           R"sql(
CREATE TABLE people (user_id VARCHAR(36) PRIMARY KEY, username VARCHAR(32) NOT NULL, dm_policy VARCHAR(16) NOT NULL DEFAULT 'everyone');
CREATE TABLE contact_pairs (user_a VARCHAR(36) NOT NULL, user_b VARCHAR(36) NOT NULL, PRIMARY KEY (user_a, user_b));
CREATE TABLE block_pairs (blocker_id VARCHAR(36) NOT NULL, blocked_id VARCHAR(36) NOT NULL, PRIMARY KEY (blocker_id, blocked_id));
CREATE TABLE conversations (
  id VARCHAR(36) PRIMARY KEY,
  kind VARCHAR(8) NOT NULL,
  title VARCHAR(512),
  direct_key VARCHAR(73) UNIQUE,
  created_at VARCHAR(32) NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0,
  last_activity_at VARCHAR(32) NOT NULL,
  invite_code VARCHAR(64) UNIQUE,
  invite_expires_at VARCHAR(32)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE members (
  conversation_id VARCHAR(36) NOT NULL,
  user_id VARCHAR(36) NOT NULL,
  role VARCHAR(8) NOT NULL,
  joined_at VARCHAR(32) NOT NULL,
  read_seq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id),
  INDEX members_by_user (user_id)
);
CREATE TABLE messages (
  id VARCHAR(36) PRIMARY KEY,
  conversation_id VARCHAR(36) NOT NULL,
  seq BIGINT NOT NULL,
  sender_id VARCHAR(36) NOT NULL,
  body TEXT,
  client_id VARCHAR(64),
  created_at VARCHAR(32) NOT NULL,
  edited_at VARCHAR(32),
  deleted TINYINT NOT NULL DEFAULT 0,
  UNIQUE KEY messages_by_seq (conversation_id, seq),
  UNIQUE KEY messages_by_client_id (conversation_id, sender_id, client_id),
  INDEX messages_by_sender (sender_id)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE message_edits (message_id VARCHAR(36) NOT NULL, body TEXT NOT NULL, replaced_at VARCHAR(32) NOT NULL,
  INDEX message_edits_by_message (message_id)) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE sync_state (user_id VARCHAR(36) PRIMARY KEY, last_seq BIGINT NOT NULL);
CREATE TABLE user_events (
  user_id VARCHAR(36) NOT NULL,
  seq BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  payload LONGTEXT NOT NULL,
  PRIMARY KEY (user_id, seq),
  INDEX user_events_by_age (created_at_ms)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
)sql" + events::outbox_inbox_schema(storage::Dialect::mysql)},
          // One index serves both the client_id idempotency lookup and erasing a sender's messages:
          // a message insert touches one index page fewer. NULL client_ids never collide.
          {2,
           R"sql(
DROP INDEX messages_by_client_id;
DROP INDEX messages_by_sender;
CREATE UNIQUE INDEX messages_by_sender ON messages(sender_id, conversation_id, client_id);
)sql",
           R"sql(
ALTER TABLE messages DROP INDEX messages_by_client_id, DROP INDEX messages_by_sender,
  ADD UNIQUE KEY messages_by_sender (sender_id, conversation_id, client_id);
)sql"},
          // The sync log fanned out on read: one global sequence (gseq) numbers every event in
          // commit order. A conversation's events are stored once, and each member reads them
          // through their memberships (members.since_gseq, past_members for those who left);
          // only events for one user (their own view of a conversation, read markers) are stored
          // per user. A message to a group of 1,000 is one row, not 1,000. Cursors of the old
          // per-user log name no epoch: they answer 410 and the client starts over.
          {3,
           R"sql(
DROP TABLE user_events;
DROP TABLE sync_state;
CREATE TABLE sync_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_gseq INTEGER NOT NULL,
  floor_gseq INTEGER NOT NULL,
  epoch TEXT NOT NULL
);
INSERT INTO sync_clock (id, last_gseq, floor_gseq, epoch) VALUES (1, 0, 0, lower(hex(randomblob(8))));
CREATE TABLE conversation_events (
  gseq INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX conversation_events_by_conversation ON conversation_events(conversation_id, gseq);
CREATE TABLE user_events (
  gseq INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX user_events_by_user ON user_events(user_id, gseq);
ALTER TABLE members ADD COLUMN since_gseq INTEGER NOT NULL DEFAULT 0;
DROP INDEX members_by_user;
CREATE INDEX members_by_user ON members(user_id, since_gseq);
CREATE TABLE past_members (
  user_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  since_gseq INTEGER NOT NULL,
  until_gseq INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation_id, until_gseq)
) WITHOUT ROWID;
CREATE INDEX past_members_by_conversation ON past_members(conversation_id);
)sql",
           R"sql(
DROP TABLE user_events;
DROP TABLE sync_state;
CREATE TABLE sync_clock (
  id INT PRIMARY KEY,
  last_gseq BIGINT NOT NULL,
  floor_gseq BIGINT NOT NULL,
  epoch VARCHAR(16) NOT NULL
);
INSERT INTO sync_clock (id, last_gseq, floor_gseq, epoch) VALUES (1, 0, 0, LEFT(SHA2(CONCAT(UUID(), RAND()), 256), 16));
CREATE TABLE conversation_events (
  gseq BIGINT PRIMARY KEY,
  conversation_id VARCHAR(36) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  payload LONGTEXT NOT NULL,
  INDEX conversation_events_by_conversation (conversation_id, gseq)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE user_events (
  gseq BIGINT PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  payload LONGTEXT NOT NULL,
  INDEX user_events_by_user (user_id, gseq)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE members ADD COLUMN since_gseq BIGINT NOT NULL DEFAULT 0, DROP INDEX members_by_user,
  ADD INDEX members_by_user (user_id, since_gseq);
CREATE TABLE past_members (
  user_id VARCHAR(36) NOT NULL,
  conversation_id VARCHAR(36) NOT NULL,
  since_gseq BIGINT NOT NULL,
  until_gseq BIGINT NOT NULL,
  PRIMARY KEY (user_id, conversation_id, until_gseq),
  INDEX past_members_by_conversation (conversation_id)
);
)sql"},
          // Per-user events that differ only in one number (a group's conversation and member
          // events: the member's own unread count) share one stored body: each user's row holds
          // the number, the body the text around it. A rename of a 1,000-member group wrote its
          // ~66 KB view 1,000 times.
          {4,
           R"sql(
CREATE TABLE event_bodies (
  id INTEGER PRIMARY KEY,
  last_gseq INTEGER NOT NULL,
  head TEXT NOT NULL,
  tail TEXT NOT NULL
);
ALTER TABLE user_events ADD COLUMN body_id INTEGER;
ALTER TABLE user_events ADD COLUMN fill INTEGER;
)sql",
           R"sql(
CREATE TABLE event_bodies (
  id BIGINT PRIMARY KEY,
  last_gseq BIGINT NOT NULL,
  head LONGTEXT NOT NULL,
  tail VARCHAR(255) NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE user_events ADD COLUMN body_id BIGINT NULL, ADD COLUMN fill BIGINT NULL;
)sql"},
          // Members an owner or admin removed from a group: they may not rejoin by invite code
          // (security review #14, finding 4) until an owner or admin adds them back.
          {5,
           R"sql(
CREATE TABLE removals (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  removed_by TEXT NOT NULL,
  removed_at TEXT NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX removals_by_user ON removals(user_id);
)sql",
           R"sql(
CREATE TABLE removals (
  conversation_id VARCHAR(36) NOT NULL,
  user_id VARCHAR(36) NOT NULL,
  removed_by VARCHAR(36) NOT NULL,
  removed_at VARCHAR(32) NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  INDEX removals_by_user (user_id)
);
)sql"}};
}

}  // namespace parley::messages
