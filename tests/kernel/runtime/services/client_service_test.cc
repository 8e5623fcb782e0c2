// SPDX-License-Identifier: Apache-2.0
#include "runtime/services/client_service.h"

#include "cluster/wire/envelope.h"
#include "cluster/wire/message_dispatcher.h"
#include "cluster/wire/messages.h"
#include "kernel/cluster/wire/wire_test_util.h"
#include "support/fake_database.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace optimystic::runtime::services {
namespace {

namespace wire = cluster::wire;
using block::Value;
using wire::MessageType;

class ClientServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dispatcher = wire::MessageDispatcher::Create("peer-n", clock_);
    ASSERT_TRUE(dispatcher.has_value());
    dispatcher_ = std::move(*dispatcher);
    ASSERT_TRUE(service_.RegisterWith(*dispatcher_).ok());
  }

  // The reply envelope to a request of `type` with `payload`.
  wire::Envelope Send(MessageType type, Value payload) {
    wire::Envelope request;
    request.type = type;
    request.request_id = ++id_;
    request.payload = std::move(payload);
    Result<std::string> bytes = wire::EncodeEnvelope(request);
    EXPECT_TRUE(bytes.has_value()) << bytes.status().ToString();
    Result<wire::Envelope> reply = wire::DecodeEnvelope(dispatcher_->Dispatch(*bytes));
    EXPECT_TRUE(reply.has_value()) << reply.status().ToString();
    EXPECT_EQ(reply->request_id, id_);
    return *reply;
  }

  // The error a request gets, as "Code: message"; "no error" when it succeeded.
  std::string ErrorOf(MessageType type, Value payload) {
    wire::Envelope reply = Send(type, std::move(payload));
    if (reply.type != MessageType::kError) {
      return "no error";
    }
    Result<wire::ErrorReply> error = wire::ErrorReplyFromPayload(reply.payload);
    EXPECT_TRUE(error.has_value());
    return wire::ErrorReplyToStatus(*error).ToString();
  }

  Value Put(const std::string& collection, Value key, Value entry) {
    return wire::CollectionActToPayload(wire::CollectionAct{
        collection,
        "tree",
        true,
        {wire::test::MakeAction("replace", Value::array({Value::array({key, entry})}))}});
  }

  wire::test::FixedClock clock_{1764612000000};
  test::FakeDatabase database_;
  ClientService service_{database_, "peer-n", "0.1.0"};
  std::unique_ptr<wire::MessageDispatcher> dispatcher_;
  uint64_t id_ = 0;
};

TEST_F(ClientServiceTest, ActAnswersWithTheRevisionAndPassesEveryField) {
  wire::Envelope reply = Send(MessageType::kCollectionAct, Put("users", "alice", {{"age", 7}}));
  ASSERT_EQ(reply.type, MessageType::kActOk);
  Result<wire::ActOk> ok = wire::ActOkFromPayload(reply.payload);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->revision, 1u);
  std::vector<test::FakeDatabase::Call> calls = database_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "Act");
  EXPECT_EQ(calls[0].name, "users");
  EXPECT_EQ(calls[0].type, "tree");
  EXPECT_TRUE(calls[0].create);
  ASSERT_EQ(calls[0].actions.size(), 1u);
  EXPECT_EQ(calls[0].actions[0].type, "replace");
  EXPECT_EQ(calls[0].actions[0].data, Value::parse(R"([["alice",{"age":7}]])"));
  reply = Send(MessageType::kCollectionAct, Put("users", "bob", 1));
  EXPECT_EQ(wire::ActOkFromPayload(reply.payload)->revision, 2u);
}

TEST_F(ClientServiceTest, QueryAnswersWithTheDatabasesResult) {
  Send(MessageType::kCollectionAct, Put("users", "alice", {{"age", 7}}));
  wire::Envelope reply =
      Send(MessageType::kCollectionQuery,
           wire::CollectionQueryToPayload({"users", "tree", "get", {{"key", "alice"}}}));
  ASSERT_EQ(reply.type, MessageType::kQueryOk);
  Result<wire::QueryOk> ok = wire::QueryOkFromPayload(reply.payload);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->result, Value::parse(R"({"age":7})"));
  EXPECT_EQ(database_.calls().back().query, "get");
  EXPECT_EQ(database_.calls().back().args, Value::parse(R"({"key":"alice"})"));
}

TEST_F(ClientServiceTest, VerifyAnswersWithTheReport) {
  Send(MessageType::kCollectionAct, Put("users", "alice", 1));
  database_.SetReport("users", {{"ok", false}, {"brokenAt", 3}});
  wire::Envelope reply =
      Send(MessageType::kCollectionVerify, wire::CollectionVerifyToPayload({"users"}));
  ASSERT_EQ(reply.type, MessageType::kVerifyOk);
  EXPECT_EQ(wire::VerifyOkFromPayload(reply.payload)->report,
            Value::parse(R"({"ok":false,"brokenAt":3})"));
}

TEST_F(ClientServiceTest, StatusNamesTheNodeAndDescribesTheDatabase) {
  Send(MessageType::kCollectionAct, Put("users", "alice", 1));
  wire::Envelope reply = Send(MessageType::kNodeStatus, Value::object());
  ASSERT_EQ(reply.type, MessageType::kStatusOk);
  Result<wire::StatusOk> ok = wire::StatusOkFromPayload(reply.payload);
  ASSERT_TRUE(ok.has_value()) << ok.status().ToString();
  EXPECT_EQ(ok->peer_id, "peer-n");
  EXPECT_EQ(ok->node_version, "0.1.0");
  EXPECT_EQ(ok->protocol_version, 1u);
  EXPECT_EQ(ok->database["collections"]["users"]["type"], "tree");
}

TEST_F(ClientServiceTest, ABadPayloadIsAnErrorNamingTheMemberAndNeverReachesTheDatabase) {
  EXPECT_EQ(ErrorOf(MessageType::kCollectionAct, Value::parse(R"({"collection":"c"})")),
            "InvalidArgument: collection.act payload member 'type': missing");
  EXPECT_EQ(ErrorOf(MessageType::kCollectionAct,
                    Value::parse(R"({"collection":"c","type":"tree","actions":[{"type":"x"}]})")),
            "InvalidArgument: collection.act payload member 'actions[0].data': missing");
  EXPECT_EQ(ErrorOf(MessageType::kCollectionQuery, Value::parse(R"({"collection":"c"})")),
            "InvalidArgument: collection.query payload member 'type': missing");
  EXPECT_EQ(ErrorOf(MessageType::kCollectionVerify, Value::object()),
            "InvalidArgument: collection.verify payload member 'collection': missing");
  EXPECT_TRUE(database_.calls().empty());
}

TEST_F(ClientServiceTest, DatabaseErrorsPassThroughWithTheirCodeAndMessage) {
  EXPECT_EQ(ErrorOf(MessageType::kCollectionQuery,
                    wire::CollectionQueryToPayload({"nobody", "tree", "get", {{"key", 1}}})),
            "NotFound: collection nobody not found");
  EXPECT_EQ(ErrorOf(MessageType::kCollectionAct,
                    wire::CollectionActToPayload(
                        {"c", "graph", true, {wire::test::MakeAction("add", 1)}})),
            "NotFound: unknown collection type graph");
  Send(MessageType::kCollectionAct, Put("users", "alice", 1));
  EXPECT_EQ(ErrorOf(MessageType::kCollectionAct,
                    wire::CollectionActToPayload(
                        {"users", "diary", true, {wire::test::MakeAction("append", 1)}})),
            "InvalidArgument: collection users is a tree, not a diary");
  EXPECT_EQ(ErrorOf(MessageType::kCollectionAct,
                    wire::CollectionActToPayload(
                        {"users", "tree", false, {wire::test::MakeAction("upsert", 1)}})),
            "InvalidArgument: unknown action type 'upsert' for tree");
  const Status injected[] = {Status::Aborted("conflict rejected by resolver reject"),
                             Status::IOError("read block 17: disk on fire"),
                             Status::Unavailable("shutting down")};
  for (const Status& error : injected) {
    database_.FailNext(error);
    EXPECT_EQ(ErrorOf(MessageType::kCollectionAct, Put("users", "bob", 2)), error.ToString());
  }
  database_.FailNext(Status::Corruption("log block 4: prior hash mismatch"));
  EXPECT_EQ(ErrorOf(MessageType::kCollectionVerify, wire::CollectionVerifyToPayload({"users"})),
            "Corruption: log block 4: prior hash mismatch");
  database_.FailNext(Status::Internal("describe failed"));
  EXPECT_EQ(ErrorOf(MessageType::kNodeStatus, Value::object()), "Internal: describe failed");
}

TEST_F(ClientServiceTest, TransactionRunsTheStatementsAndReportsEveryCollection) {
  Send(MessageType::kCollectionAct, Put("users", "alice", 1));
  Send(MessageType::kCollectionAct, Put("accounts", "alice", 10));
  wire::Transaction txn{{R"({"collectionId":"users","actions":[{"type":"replace",)"
                         R"("data":[["bob",2]]}]})",
                         R"({"collectionId":"accounts","actions":[{"type":"replace",)"
                         R"("data":[["alice",5],["bob",5]]}]})"}};
  wire::Envelope reply = Send(MessageType::kTransaction, wire::TransactionToPayload(txn));
  ASSERT_EQ(reply.type, MessageType::kTransactionOk);
  Result<wire::TransactionOk> ok = wire::TransactionOkFromPayload(reply.payload);
  ASSERT_TRUE(ok.has_value()) << ok.status().ToString();
  EXPECT_TRUE(ok->success);
  EXPECT_EQ(ok->transaction_id, "tx:fake-1");
  EXPECT_EQ(ok->committed, (std::vector<std::string>{"accounts", "users"}));
  EXPECT_FALSE(ok->error.has_value());
  EXPECT_EQ(database_.calls().back().statements, txn.statements);
}

TEST_F(ClientServiceTest, ATransactionOfWhichNothingCommittedIsAnErrorAndAPartialOneIsNot) {
  EXPECT_EQ(ErrorOf(MessageType::kTransaction,
                    wire::TransactionToPayload({{R"({"collectionId":"nobody","actions":[]})"}})),
            "NotFound: Collection not found: nobody");
  EXPECT_EQ(ErrorOf(MessageType::kTransaction, Value::parse(R"({"statements":[]})")),
            "InvalidArgument: transaction payload member 'statements': empty");
  EXPECT_EQ(ErrorOf(MessageType::kTransaction, Value::parse(R"({"statements":["{}", 3]})")),
            "InvalidArgument: transaction payload member 'statements[1]': expected a text "
            "string, found number");
  TransactOutcome partial;
  partial.transaction_id = "tx:p";
  partial.committed = {"a"};
  partial.failed = {"b"};
  partial.error = Status::Aborted("Transaction partially committed: committed [a]; failed [b]");
  database_.AnswerNextTransact(partial);
  wire::Envelope reply =
      Send(MessageType::kTransaction, wire::TransactionToPayload({{R"({"x":1})"}}));
  ASSERT_EQ(reply.type, MessageType::kTransactionOk);
  Result<wire::TransactionOk> ok = wire::TransactionOkFromPayload(reply.payload);
  ASSERT_TRUE(ok.has_value()) << ok.status().ToString();
  EXPECT_FALSE(ok->success);
  EXPECT_EQ(ok->failed, std::vector<std::string>{"b"});
  ASSERT_TRUE(ok->error.has_value());
  EXPECT_EQ(wire::ErrorReplyToStatus(*ok->error).ToString(), partial.error.ToString());
}

TEST_F(ClientServiceTest, AResultTooLargeToSendIsAnInternalError) {
  // A query result over the envelope limit cannot be sent; the client hears why.
  Send(MessageType::kCollectionAct, Put("big", 1, std::string(9u << 20, 'x')));
  Send(MessageType::kCollectionAct, Put("big", 2, std::string(9u << 20, 'y')));
  std::string error = ErrorOf(MessageType::kCollectionQuery,
                              wire::CollectionQueryToPayload({"big", "tree", "range"}));
  EXPECT_NE(error.find("Internal: reply to 'collection.query' could not be sent"),
            std::string::npos)
      << error;
}

TEST_F(ClientServiceTest, RegisteringTwiceIsRefused) {
  Status again = service_.RegisterWith(*dispatcher_);
  EXPECT_EQ(again.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(again.message().find("collection.act"), std::string_view::npos);
}

TEST_F(ClientServiceTest, HandleRefusesATypeThatIsNotAClientRequest) {
  wire::Envelope pong;
  pong.type = MessageType::kPong;
  Result<wire::Reply> reply = service_.Handle(pong);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kNotSupported);
}

}  // namespace
}  // namespace optimystic::runtime::services
