#pragma once
// Private to the messages service: its state and handlers.

#include <boost/json/object.hpp>
#include <condition_variable>
#include <thread>

#include "domain/poll_quota.hpp"
#include "parley/async/notifier.hpp"
#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"
#include "store/messages_store.hpp"
#include "store/sync_tail.hpp"

namespace parley::messages {

struct MessagesOptions {
  std::chrono::seconds sync_retention{7 * 24 * 3600};  // PARLEY_SYNC_RETENTION_S: how long sync events are kept
  std::chrono::seconds prune_interval{300};            // PARLEY_SYNC_PRUNE_INTERVAL_S
  std::chrono::hours invite_ttl{24 * 7};               // invite codes expire after this
  std::size_t max_polls_per_user = 8;  // PARLEY_SYNC_MAX_POLLS_PER_USER: parked long polls per user
  static MessagesOptions from_env();
};

class MessagesService final : public service::Service {
 public:
  MessagesService(service::Context& ctx, MessagesOptions options);
  ~MessagesService() override;

  // service::Service
  std::string_view name() const override { return "messages"; }
  void add_routes(http::Router& router) override;
  void start() override;
  void stop() override;
  void begin_shutdown() override { notifier_.shutdown(); }

 private:
  void prune_loop();
  void tail_upkeep();
  bool stopping();
  // Returns once every write queued before the call has committed and run its after-commit work.
  void drain_writes();

  // handlers/conversations.cpp
  async::Task<http::Response> create_conversation(http::Request& request);
  async::Task<http::Response> list_conversations(http::Request& request);
  async::Task<http::Response> get_conversation(http::Request& request);
  async::Task<http::Response> rename(http::Request& request);
  async::Task<http::Response> add_member(http::Request& request);
  async::Task<http::Response> remove_member(http::Request& request);
  async::Task<http::Response> invite_code(http::Request& request);
  async::Task<http::Response> join(http::Request& request);
  // handlers/messages.cpp
  async::Task<http::Response> list_messages(http::Request& request);
  async::Task<http::Response> send_message(http::Request& request);
  async::Task<http::Response> edit_message(http::Request& request);
  async::Task<http::Response> delete_message(http::Request& request);
  async::Task<http::Response> mark_read(http::Request& request);
  // handlers/sync.cpp
  async::Task<http::Response> sync(http::Request& request);
  // The user's events after cursor from the database (at most a page) and the cursor after them;
  // 410 cursor_expired if the cursor is older than what is kept or past the end of the log.
  struct SyncPage {
    std::vector<std::pair<std::int64_t, std::string>> events;
    std::int64_t cursor = 0;
  };
  async::Task<SyncPage> read_events(std::string me, std::int64_t cursor);
  // A cursor names the database's sync log (its epoch) and a gseq in it.
  std::string encode_sync_cursor(std::int64_t gseq) const;
  std::int64_t parse_sync_cursor(const http::Request& request) const;
  // handlers/internal.cpp (service credential only)
  async::Task<http::Response> internal_conversations(http::Request& request);
  async::Task<http::Response> internal_messages(http::Request& request);

  // The conversation as viewer sees it: members, last_message, unread_count.
  boost::json::object view(storage::Tx& tx, const ConversationRow& c, const std::string& viewer);
  // Loads a conversation the caller is a member of; 404 otherwise (existence does not leak).
  std::pair<ConversationRow, Member> membership(storage::Tx& tx, const std::string& conversation_id,
                                                const std::string& user_id);
  using SharedPayload = std::shared_ptr<const std::string>;
  using Audience = SyncTail::Audience;
  // An event for the sync log: a conversation's (read by each member through their membership)
  // or one user's own. audience: who gets it, as the tail and the wake-ups need to know; for a
  // conversation's event, the members the caller read in this transaction (or null), which
  // deliver() replaces with what the log reads once it holds the clock wherever that may differ.
  struct Outgoing {
    std::string conversation_id;  // a conversation's event, or
    std::string user_id;          // one user's
    SharedPayload payload;
    Audience audience;
    // A user's event whose payload is body's text around fill: stored once for all who share it.
    std::shared_ptr<const store::SharedBody> body = nullptr;
    std::int64_t fill = 0;
  };
  // Appends events to the sync log with consecutive gseqs; once tx commits, adds them to the
  // in-memory tail, wakes their users' long polls and (with replicas) the other replicas.
  void deliver(storage::Tx& tx, std::vector<Outgoing> events);
  // One payload for each of users, as their own event.
  void deliver_to(storage::Tx& tx, const std::vector<std::string>& users, const std::string& payload);
  // One payload as a conversation's event, for its current members.
  void deliver_to_members(storage::Tx& tx, const std::string& conversation_id, const std::string& payload);

 public:
  // A send waiting for its group-commit batch: what was asked, and what came of it.
  struct PendingSend {
    std::string sender;
    std::string conversation_id;
    std::string body;
    std::optional<std::string> client_id;
    MessageRow message;
    bool created = false;
    std::exception_ptr error;  // 404, 403: the send's own answer
  };
  // Every send of a batch at once, in a few statements over many rows (handlers/messages.cpp).
  void send_all(storage::Tx& tx, const std::vector<PendingSend*>& sends);

 private:
  // Tells the other replicas about new sync events, with the events (distributed mode). Events
  // that come while a wake-up is being published go out together in the next message.
  void wake_replicas(std::vector<SyncTail::Event> events);
  void publish_wakes();
  // Another replica's wake-up: its events into the tail, then the polls waiting for them.
  void on_wake(const events::SyncWake& wake);
  // Wakes the polls of users whose events the tail can now answer.
  void wake_local(const std::vector<std::string>& users);
  // Sends each member (and extra users) a conversation event carrying their own view of it.
  void deliver_conversation(storage::Tx& tx, const ConversationRow& c, const std::string& type,
                            const std::vector<std::string>& extra_users, boost::json::object fields = {});

  service::Context& ctx_;
  MessagesOptions options_;
  std::unique_ptr<storage::Database> db_;
  events::Outbox outbox_;
  async::Notifier notifier_;
  SyncTail tail_;
  std::mutex wake_mutex_;
  std::vector<SyncTail::Event> wake_pending_;  // not published yet
  const std::string replica_id_;          // names this process's wake-ups, which it skips
  std::string sync_epoch_;                // the sync log's, from the database
  bool wake_publishing_ = false;
  std::mutex prune_mutex_;
  std::condition_variable prune_cv_;
  bool stopping_ = false;
  std::thread pruner_;
  std::chrono::steady_clock::time_point started_at_;  // start(): see tail_upkeep()
  PollQuota poll_quota_;                              // parked long polls per user
  std::atomic<std::uint64_t>& polls_let_go_;          // answered early: their user parked too many
};

}  // namespace parley::messages
