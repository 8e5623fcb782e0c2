// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/messages.h"

#include "cluster/wire/wire_format.h"
#include "cluster/wire/wire_text.h"
#include "kernel/cluster/wire/wire_test_util.h"

#include <gtest/gtest.h>

#include <string>

namespace optimystic::cluster::wire {
namespace {

using block::Value;

TEST(Messages, PingPayloadIsEmptyMap) {
  EXPECT_EQ(PingToPayload(Ping{}), Value::object());
  EXPECT_TRUE(PingFromPayload(Value::object()).has_value());
  EXPECT_FALSE(PingFromPayload(Value::array()).has_value());
}

TEST(Messages, PongRoundTrips) {
  Pong pong{"peer-a", 1, "0.1.0"};
  Value payload = PongToPayload(pong);
  EXPECT_EQ(payload,
            Value::parse(R"({"peerId":"peer-a","protocolVersion":1,"nodeVersion":"0.1.0"})"));
  Result<Pong> back = PongFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, pong);
}

TEST(Messages, PongIgnoresMembersItDoesNotKnow) {
  Value payload = PongToPayload(Pong{"peer-a", 1, "0.1.0"});
  payload["uptimeSeconds"] = 17;
  EXPECT_TRUE(PongFromPayload(payload).has_value());
}

TEST(Messages, PongNamesAMissingOrMistypedMember) {
  for (const char* key : {"peerId", "protocolVersion", "nodeVersion"}) {
    Value payload = PongToPayload(Pong{"peer-a", 1, "0.1.0"});
    payload.erase(key);
    Result<Pong> missing = PongFromPayload(payload);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(
        missing.error().message().find("pong payload member '" + std::string(key) + "': missing"),
        std::string_view::npos)
        << missing.error().ToString();
    payload[key] = Value::array();
    Result<Pong> mistyped = PongFromPayload(payload);
    ASSERT_FALSE(mistyped.has_value());
    EXPECT_NE(mistyped.error().message().find("'" + std::string(key) + "'"),
              std::string_view::npos);
  }
  Value payload = PongToPayload(Pong{"peer-a", 1, "0.1.0"});
  payload["protocolVersion"] = 4294967296ULL;
  EXPECT_FALSE(PongFromPayload(payload).has_value());
  payload["protocolVersion"] = -1;
  EXPECT_FALSE(PongFromPayload(payload).has_value());
}

TEST(Messages, ErrorReplyRoundTripsEveryCode) {
  for (int c = 1; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    const Status error(static_cast<StatusCode>(c), "what went wrong");
    ErrorReply reply = ErrorReplyFromStatus(error);
    Value payload = ErrorReplyToPayload(reply);
    EXPECT_EQ(payload["code"], std::string(StatusCodeName(error.code())));
    Result<ErrorReply> back = ErrorReplyFromPayload(payload);
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, reply);
    Status seen = ErrorReplyToStatus(*back);
    EXPECT_EQ(seen.code(), error.code());
    EXPECT_EQ(seen.message(), "what went wrong");
  }
}

TEST(Messages, ErrorReplyWithAnUnknownCodeIsInternalAndKeepsTheName) {
  Value payload = Value::parse(R"({"code":"QuotaExceeded","message":"slow down"})");
  Result<ErrorReply> reply = ErrorReplyFromPayload(payload);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->code, StatusCode::kInternal);
  EXPECT_EQ(reply->message, "QuotaExceeded: slow down");
}

TEST(Messages, ErrorReplyRefusesOkAndNamesMissingMembers) {
  Result<ErrorReply> ok = ErrorReplyFromPayload(Value::parse(R"({"code":"OK","message":""})"));
  ASSERT_FALSE(ok.has_value());
  EXPECT_NE(ok.error().message().find("member 'code'"), std::string_view::npos);
  Result<ErrorReply> missing = ErrorReplyFromPayload(Value::parse(R"({"code":"Internal"})"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("member 'message': missing"), std::string_view::npos);
  EXPECT_FALSE(ErrorReplyFromPayload(Value::array()).has_value());
}

TEST(Messages, ErrorReplyFromStatusBoundsTheMessage) {
  ErrorReply reply = ErrorReplyFromStatus(Status::Internal(std::string(5000, 'x') + "\xff"));
  EXPECT_LE(reply.message.size(), format::kMaxErrorMessageBytes);
  EXPECT_TRUE(IsValidUtf8(reply.message));
  EXPECT_EQ(ErrorReplyFromStatus(Status::Internal("bad \xff byte")).message, "bad ? byte");
}

// ---- Client messages -------------------------------------------------------------------------

// The error `r` holds, as "Code: message", or "OK" when it holds a value.
template <class T>
std::string ErrorOf(const Result<T>& r) {
  return r.has_value() ? std::string("OK") : r.error().ToString();
}

CollectionAct SampleAct() {
  return CollectionAct{"users",
                       "tree",
                       true,
                       {test::MakeAction("replace", Value::parse(R"([["alice",{"age":7}]])")),
                        test::MakeAction("replace", Value::parse(R"([["bob"]])"))}};
}

TEST(Messages, CollectionActRoundTripsInItsDocumentedShape) {
  Value payload = CollectionActToPayload(SampleAct());
  EXPECT_EQ(payload, Value::parse(R"({"collection":"users","type":"tree","create":true,
      "actions":[{"type":"replace","data":[["alice",{"age":7}]]},
                 {"type":"replace","data":[["bob"]]}]})"));
  Result<CollectionAct> back = CollectionActFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, SampleAct());
}

TEST(Messages, CollectionActCreateIsOptionalAndActionExtrasAreNotRead) {
  Value payload = Value::parse(R"({"collection":"c","type":"diary",
      "actions":[{"type":"append","data":null,"transaction":"t1","timestamp":5}],"later":1})");
  Result<CollectionAct> act = CollectionActFromPayload(payload);
  ASSERT_TRUE(act.has_value()) << act.status().ToString();
  EXPECT_FALSE(act->create);
  ASSERT_EQ(act->actions.size(), 1u);
  EXPECT_EQ(act->actions[0], test::MakeAction("append", nullptr));
}

TEST(Messages, CollectionActNamesWhatIsWrong) {
  struct Case {
    const char* payload;
    const char* error;
  };
  const Case cases[] = {
      {R"([])", "collection.act payload: expected a map"},
      {R"({"type":"tree","actions":[]})", "member 'collection': missing"},
      {R"({"collection":"","type":"tree","actions":[]})", "member 'collection': empty"},
      {R"({"collection":7,"type":"tree","actions":[]})",
       "member 'collection': expected a text string, found number"},
      {R"({"collection":"c","actions":[]})", "member 'type': missing"},
      {R"({"collection":"c","type":"tree","create":"yes","actions":[]})",
       "member 'create': expected a boolean, found string"},
      {R"({"collection":"c","type":"tree"})", "member 'actions': missing"},
      {R"({"collection":"c","type":"tree","actions":{}})",
       "member 'actions': expected an array, found object"},
      {R"({"collection":"c","type":"tree","actions":[]})", "member 'actions': no actions"},
      {R"({"collection":"c","type":"tree","actions":[{"type":"replace","data":[]},3]})",
       "member 'actions[1]': expected a map, found number"},
      {R"({"collection":"c","type":"tree","actions":[{"data":[]}]})",
       "member 'actions[0].type': missing"},
      {R"({"collection":"c","type":"tree","actions":[{"type":"","data":[]}]})",
       "member 'actions[0].type': empty"},
      {R"({"collection":"c","type":"tree","actions":[{"type":[],"data":[]}]})",
       "member 'actions[0].type': expected a text string, found array"},
      {R"({"collection":"c","type":"tree","actions":[{"type":"replace"}]})",
       "member 'actions[0].data': missing"},
  };
  for (const Case& c : cases) {
    Result<CollectionAct> act = CollectionActFromPayload(Value::parse(c.payload));
    ASSERT_FALSE(act.has_value()) << c.payload;
    EXPECT_EQ(act.error().code(), StatusCode::kInvalidArgument) << c.payload;
    EXPECT_NE(act.error().message().find(c.error), std::string_view::npos)
        << c.payload << " -> " << act.error().ToString();
  }
}

TEST(Messages, CollectionActRefusesMoreActionsThanTheLimit) {
  CollectionAct act{
      "c", "diary", false,
      std::vector<collections::Action>(kMaxActionsPerAct + 1, test::MakeAction("append", 1))};
  Result<CollectionAct> back = CollectionActFromPayload(CollectionActToPayload(act));
  ASSERT_FALSE(back.has_value());
  EXPECT_NE(back.error().message().find("exceed the limit of 100000"), std::string_view::npos)
      << back.error().ToString();
  act.actions.pop_back();
  EXPECT_TRUE(CollectionActFromPayload(CollectionActToPayload(act)).has_value());
}

TEST(Messages, ActOkRoundTrips) {
  Value payload = ActOkToPayload(ActOk{18446744073709551615ULL});
  EXPECT_EQ(payload, Value::parse(R"({"revision":18446744073709551615})"));
  Result<ActOk> back = ActOkFromPayload(payload);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->revision, 18446744073709551615ULL);
  EXPECT_EQ(ErrorOf(ActOkFromPayload(Value::object())),
            "InvalidArgument: act.ok payload member 'revision': missing");
  EXPECT_EQ(ErrorOf(ActOkFromPayload(Value::parse(R"({"revision":-1})"))),
            "InvalidArgument: act.ok payload member 'revision': expected an unsigned 64-bit "
            "integer");
}

TEST(Messages, CollectionQueryRoundTripsAndArgsDefaultToAnEmptyMap) {
  CollectionQuery query{"users", "tree", "range", Value::parse(R"({"from":1,"limit":10})")};
  Value payload = CollectionQueryToPayload(query);
  EXPECT_EQ(payload, Value::parse(R"({"collection":"users","type":"tree","query":"range",
      "args":{"from":1,"limit":10}})"));
  Result<CollectionQuery> back = CollectionQueryFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, query);
  payload.erase("args");
  back = CollectionQueryFromPayload(payload);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->args, Value::object());
  payload["args"] = Value::array({1, 2});  // any value: the type judges its arguments
  EXPECT_TRUE(CollectionQueryFromPayload(payload).has_value());
  payload.erase("query");
  EXPECT_EQ(ErrorOf(CollectionQueryFromPayload(payload)),
            "InvalidArgument: collection.query payload member 'query': missing");
}

TEST(Messages, QueryOkAndVerifyOkCarryAnyValue) {
  for (const Value& v : {Value(nullptr), Value(3), Value::parse(R"([["a",{"x":1}]])")}) {
    Result<QueryOk> q = QueryOkFromPayload(QueryOkToPayload(QueryOk{v}));
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->result, v);
    Result<VerifyOk> r = VerifyOkFromPayload(VerifyOkToPayload(VerifyOk{v}));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->report, v);
  }
  EXPECT_EQ(ErrorOf(QueryOkFromPayload(Value::object())),
            "InvalidArgument: query.ok payload member 'result': missing");
  EXPECT_EQ(ErrorOf(VerifyOkFromPayload(Value::object())),
            "InvalidArgument: verify.ok payload member 'report': missing");
}

TEST(Messages, CollectionVerifyRoundTrips) {
  Value payload = CollectionVerifyToPayload(CollectionVerify{"log"});
  EXPECT_EQ(payload, Value::parse(R"({"collection":"log"})"));
  Result<CollectionVerify> back = CollectionVerifyFromPayload(payload);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->collection, "log");
  EXPECT_EQ(ErrorOf(CollectionVerifyFromPayload(Value::object())),
            "InvalidArgument: collection.verify payload member 'collection': missing");
}

TEST(Messages, NodeStatusAndStatusOkRoundTrip) {
  EXPECT_EQ(NodeStatusToPayload(NodeStatus{}), Value::object());
  EXPECT_TRUE(NodeStatusFromPayload(Value::object()).has_value());
  EXPECT_FALSE(NodeStatusFromPayload(Value::array()).has_value());
  StatusOk ok{"peer-n", "0.1.0", 1, Value::parse(R"({"collections":{}})"),
              Value::parse(R"({"members":[{"peerId":"peer-n"}]})")};
  Value payload = StatusOkToPayload(ok);
  EXPECT_EQ(payload, Value::parse(R"({"peerId":"peer-n","nodeVersion":"0.1.0",
      "protocolVersion":1,"database":{"collections":{}},
      "cluster":{"members":[{"peerId":"peer-n"}]}})"));
  Result<StatusOk> back = StatusOkFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, ok);
  for (const char* key : {"peerId", "nodeVersion", "protocolVersion", "database"}) {
    Value missing = payload;
    missing.erase(key);
    EXPECT_EQ(ErrorOf(StatusOkFromPayload(missing)),
              "InvalidArgument: status.ok payload member '" + std::string(key) + "': missing");
  }
  // A node from before clusters sends no "cluster": it reads as null.
  Value older = payload;
  older.erase("cluster");
  Result<StatusOk> old_node = StatusOkFromPayload(older);
  ASSERT_TRUE(old_node.has_value()) << old_node.status().ToString();
  EXPECT_TRUE(old_node->cluster.is_null());
}

TEST(Messages, TransactionRoundTripsAndNamesWhatIsWrong) {
  Transaction txn{{R"({"collectionId":"a","actions":[]})", "{}"}};
  Value payload = TransactionToPayload(txn);
  EXPECT_EQ(payload,
            Value::parse(R"({"statements":["{\"collectionId\":\"a\",\"actions\":[]}","{}"]})"));
  Result<Transaction> back = TransactionFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(back->statements, txn.statements);
  EXPECT_EQ(ErrorOf(TransactionFromPayload(Value::array())),
            "InvalidArgument: transaction payload: expected a map");
  EXPECT_EQ(ErrorOf(TransactionFromPayload(Value::object())),
            "InvalidArgument: transaction payload member 'statements': missing");
  EXPECT_EQ(ErrorOf(TransactionFromPayload(Value::parse(R"({"statements":"x"})"))),
            "InvalidArgument: transaction payload member 'statements': expected an array, "
            "found string");
  Value many = Value::object({{"statements", Value::array()}});
  for (size_t i = 0; i <= kMaxStatementsPerTransaction; ++i) many["statements"].push_back("{}");
  EXPECT_EQ(ErrorOf(TransactionFromPayload(many)),
            "InvalidArgument: transaction payload member 'statements': 10001 elements exceed "
            "the limit of 10000");
}

TEST(Messages, TransactionOkRoundTripsWithAndWithoutAnError) {
  TransactionOk ok{"tx:1", true, {"a", "b"}, {}, std::nullopt};
  Result<TransactionOk> back = TransactionOkFromPayload(TransactionOkToPayload(ok));
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, ok);
  EXPECT_FALSE(TransactionOkToPayload(ok).contains("error"));
  TransactionOk partial{"tx:2", false, {"a"}, {"b"}, ErrorReply{StatusCode::kAborted, "half"}};
  back = TransactionOkFromPayload(TransactionOkToPayload(partial));
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, partial);
  // success and error must agree: a partial landing always says why.
  Value lying = TransactionOkToPayload(partial);
  lying.erase("error");
  EXPECT_EQ(ErrorOf(TransactionOkFromPayload(lying)),
            "InvalidArgument: transaction.ok payload member 'error': missing although success "
            "is false");
  Value wrong = TransactionOkToPayload(ok);
  wrong["committed"] = Value::array({1});
  EXPECT_EQ(ErrorOf(TransactionOkFromPayload(wrong)),
            "InvalidArgument: transaction.ok payload member 'committed[0]': expected a text "
            "string, found number");
}

}  // namespace
}  // namespace optimystic::cluster::wire
