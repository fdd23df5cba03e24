#pragma once
// Private to the messages service: its state and handlers.

#include <boost/json/object.hpp>

#include <condition_variable>
#include <thread>

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
  // consumers: the replica of users, contacts, blocks and dm_policy
  void on_event(const events::Event& event);
  void prune_loop();

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
  // The user's events after cursor from the database (at most a page); 410 cursor_expired if the
  // cursor is older than what is kept or from another life of the database.
  async::Task<std::vector<std::pair<std::int64_t, std::string>>> read_events(std::string me, std::int64_t cursor);
  // handlers/internal.cpp (service credential only)
  async::Task<http::Response> internal_conversations(http::Request& request);
  async::Task<http::Response> internal_messages(http::Request& request);

  // The conversation as viewer sees it: members, last_message, unread_count.
  boost::json::object view(storage::Tx& tx, const ConversationRow& c, const std::string& viewer);
  // Loads a conversation the caller is a member of; 404 otherwise (existence does not leak).
  std::pair<ConversationRow, Member> membership(storage::Tx& tx, const std::string& conversation_id,
                                                const std::string& user_id);
  // Appends an event to each user's sync log and, once tx commits, to the in-memory tail, and
  // wakes their long polls.
  void deliver(storage::Tx& tx, const std::vector<std::string>& users, const std::string& payload);
  // The same for many (user, event) entries at once.
  using SharedPayload = std::shared_ptr<const std::string>;
  void deliver_all(storage::Tx& tx, const std::vector<std::pair<std::string, SharedPayload>>& entries);

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
  // Tells the other replicas which users have new sync events (distributed mode). Wake-ups that
  // come while one is being published go out together in the next message.
  struct WakeEntry {
    std::string user;
    std::int64_t seq;
    std::shared_ptr<const std::string> payload;
    std::int64_t at_ms;
  };
  void wake_replicas(std::vector<WakeEntry> entries);
  void publish_wakes();
  // Another replica's wake-up: its events into the tail, then the polls waiting for them.
  void on_wake(const events::Event& e);
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
  std::vector<WakeEntry> wake_pending_;  // not published yet
  const std::string replica_id_;          // names this process's wake-ups, which it skips
  bool wake_publishing_ = false;
  std::mutex prune_mutex_;
  std::condition_variable prune_cv_;
  bool stopping_ = false;
  std::thread pruner_;
};

}  // namespace parley::messages
