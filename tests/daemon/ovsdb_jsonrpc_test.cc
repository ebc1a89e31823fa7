// OVSDB JSON-RPC reading (src/daemon/ovsdb/jsonrpc.h) and values (datum.h): messages written
// as ovsdb-server sends them (shapes from RFC 7047 §4.1 and ovsdb-server(7) §4.1.12-4.1.16,
// the update3 and monitor_cond_since examples captured from ovsdb-server 3.1), cut at every
// byte, nested, oversized, and not JSON at all.
#include "daemon/ovsdb/datum.h"
#include "daemon/ovsdb/jsonrpc.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace nvgre::daemon::ovsdb {
namespace {

using json = nlohmann::json;

struct Captured {
  std::string table, uuid;
  json update;
};
class Sink : public RowSink {
 public:
  void Row(std::string_view table, std::string_view uuid, json& update) override {
    rows.push_back({std::string(table), std::string(uuid), update});
  }
  void BadRow(std::string_view table, std::string_view uuid, std::string_view why) override {
    bad.push_back(std::string(table) + "/" + std::string(uuid) + ": " + std::string(why));
  }
  std::vector<Captured> rows;
  std::vector<std::string> bad;
};

void Feed(Framer& f, std::string_view bytes) {
  const std::span<char> room = f.Prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  f.Commit(bytes.size());
}

// Captured from ovsdb-server 3.1 (update3 after a transact inserting a Logical_Switch).
constexpr std::string_view kUpdate3 =
    R"({"id":null,"method":"update3","params":["m","8f34f99b-5d94-4e20-8ad4-0ffd85d80981",)"
    R"({"Logical_Switch":{"38843526-b0c9-4722-b55e-342167077763":{"insert":{"name":"ls-a","tunnel_key":5001}}}}]})";
constexpr std::string_view kSinceReply =
    R"({"id":2,"result":[false,"8f34f99b-5d94-4e20-8ad4-0ffd85d80981",{"Logical_Switch":)"
    R"({"38843526-b0c9-4722-b55e-342167077763":{"initial":{"name":"ls-a","tunnel_key":5001}},)"
    R"("4a1752bf-c5db-4899-a441-1597b78ee64d":{"initial":{"name":"ls-b","tunnel_key":5002}}}}],"error":null})";

TEST(OvsdbFramer, CutsBackToBackMessagesWhateverTheChunks) {
  const std::string stream = std::string(kUpdate3) + "\n  " + std::string(kSinceReply) +
                             R"({"id":"x\"}{[","result":["}\\",{"a":"]"}],"error":null})";
  for (std::size_t chunk = 1; chunk <= stream.size(); chunk = chunk < 8 ? chunk + 1 : chunk * 2) {
    Framer f(1 << 20);
    std::vector<std::string> got;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      Feed(f, std::string_view(stream).substr(i, chunk));
      std::string_view text;
      Framer::Status st;
      while ((st = f.Next(text)) == Framer::Status::kMessage) got.emplace_back(text);
      ASSERT_EQ(st, Framer::Status::kNeedMore) << chunk;
    }
    ASSERT_EQ(got.size(), 3u) << chunk;
    EXPECT_EQ(got[0], kUpdate3);
    EXPECT_EQ(got[1], kSinceReply);
    EXPECT_EQ(json::parse(got[2])["id"], "x\"}{[");
  }
}

// A 40 MB message (an initial sync) grows the buffer; once it is consumed the buffer shrinks back
// to 4 MiB, and the message after it still comes out whole.
TEST(OvsdbFramer, GivesBackTheRoomOfAHugeMessage) {
  Framer f(std::size_t{64} << 20);
  const std::string huge = "{\"id\":1,\"result\":\"" + std::string(std::size_t{40} << 20, 'x') + "\"}";
  for (std::size_t i = 0; i < huge.size(); i += 256 * 1024) Feed(f, std::string_view(huge).substr(i, 256 * 1024));
  Feed(f, kUpdate3.substr(0, 10));
  std::string_view text;
  ASSERT_EQ(f.Next(text), Framer::Status::kMessage);
  EXPECT_EQ(text.size(), huge.size());
  EXPECT_GE(f.capacity(), huge.size());
  Feed(f, kUpdate3.substr(10));  // Prepare: the huge message is gone, 10 bytes stay buffered
  EXPECT_EQ(f.capacity(), std::size_t{4} << 20);
  ASSERT_EQ(f.Next(text), Framer::Status::kMessage);
  EXPECT_EQ(text, kUpdate3);
}

TEST(OvsdbFramer, RefusesOversizeAndNonObjects) {
  Framer f(100);
  Feed(f, "{\"method\":\"" + std::string(200, 'a'));
  std::string_view text;
  EXPECT_EQ(f.Next(text), Framer::Status::kOversize);
  Framer g(100);
  Feed(g, " \r\n[1,2]");
  EXPECT_EQ(g.Next(text), Framer::Status::kNotJson);
  Framer h(100);
  Feed(h, "garbage");
  EXPECT_EQ(h.Next(text), Framer::Status::kNotJson);
  h.Reset();
  Feed(h, "{}");
  EXPECT_EQ(h.Next(text), Framer::Status::kMessage);
  EXPECT_EQ(text, "{}");
}

TEST(OvsdbParse, Update3RowsStreamToTheSink) {
  Sink sink;
  std::string error;
  const auto m = ParseMessage(kUpdate3, sink, &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->kind, Message::Kind::kNotification);
  EXPECT_EQ(m->method, "update3");
  ASSERT_EQ(m->params.size(), 3u);
  EXPECT_EQ(m->params[0], "m");
  EXPECT_EQ(m->params[1], "8f34f99b-5d94-4e20-8ad4-0ffd85d80981");
  EXPECT_EQ(m->params[2], json({{"Logical_Switch", json::object()}}));  // rows taken out
  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.rows[0].table, "Logical_Switch");
  EXPECT_EQ(sink.rows[0].uuid, "38843526-b0c9-4722-b55e-342167077763");
  EXPECT_EQ(sink.rows[0].update, json::parse(R"({"insert":{"name":"ls-a","tunnel_key":5001}})"));
}

TEST(OvsdbParse, MonitorRepliesStreamTheirRows) {
  Sink sink;
  std::string error;
  auto m = ParseMessage(kSinceReply, sink, &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->kind, Message::Kind::kReply);
  EXPECT_EQ(m->id, 2);
  EXPECT_EQ(m->result[0], false);
  ASSERT_EQ(sink.rows.size(), 2u);
  EXPECT_EQ(sink.rows[1].uuid, "4a1752bf-c5db-4899-a441-1597b78ee64d");
  EXPECT_EQ(sink.rows[1].update["initial"]["tunnel_key"], 5002);
  // monitor_cond: the result itself is the <table-updates2>; update2: params[1].
  Sink s2;
  m = ParseMessage(R"({"result":{"Database":{"0cf9f4a3-8c7c-454b-9a9e-012beb477bfd":{"initial":{"leader":false}}}},"id":1,"error":null})",
                   s2, &error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(s2.rows.size(), 1u);
  EXPECT_EQ(s2.rows[0].table, "Database");
  Sink s3;
  m = ParseMessage(R"({"method":"update2","params":["s",{"Database":{"0cf9f4a3-8c7c-454b-9a9e-012beb477bfd":{"modify":{"leader":true}}}}],"id":null})",
                   s3, &error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(s3.rows.size(), 1u);
  EXPECT_EQ(s3.rows[0].update["modify"]["leader"], true);
}

TEST(OvsdbParse, TransactRepliesStayWhole) {
  // Captured: a transact reply with a constraint violation at index 1, and a select's rows.
  Sink sink;
  std::string error;
  const auto m = ParseMessage(
      R"({"id":3,"result":[{"uuid":["uuid","41ef308c-2fc2-46fc-b21a-bad9a8d70180"]},{"details":"d","error":"constraint violation"},{"rows":[{"leader":true}]}],"error":null})",
      sink, &error);
  ASSERT_TRUE(m) << error;
  EXPECT_TRUE(sink.rows.empty());
  EXPECT_TRUE(sink.bad.empty());
  EXPECT_EQ(m->result[1]["error"], "constraint violation");
  EXPECT_EQ(m->result[2]["rows"][0]["leader"], true);
}

TEST(OvsdbParse, ErrorRepliesAndRequests) {
  Sink sink;
  std::string error;
  auto m = ParseMessage(R"({"id":7,"result":null,"error":{"error":"unknown database","details":"x"}})", sink, &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->kind, Message::Kind::kError);
  EXPECT_EQ(m->error["error"], "unknown database");
  m = ParseMessage(R"({"id":"echo","method":"echo","params":[]})", sink, &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->kind, Message::Kind::kRequest);
  EXPECT_EQ(Reply(m->params, m->id), R"({"error":null,"id":"echo","result":[]})");
}

TEST(OvsdbParse, RowUpdatesThatAreNotObjectsAreReported) {
  Sink sink;
  std::string error;
  const auto m = ParseMessage(
      R"({"method":"update2","params":["m",{"Ucast_Macs_Remote":{"u1":5,"u2":[1],"u3":{"delete":null}}}],"id":null})",
      sink, &error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(sink.bad.size(), 2u);
  EXPECT_EQ(sink.bad[0], "Ucast_Macs_Remote/u1: a <row-update2> that is not an object");
  EXPECT_EQ(sink.bad[1], "Ucast_Macs_Remote/u2: a <row-update2> that is not an object");
  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.rows[0].uuid, "u3");
}

TEST(OvsdbParse, RefusesWhatIsNotJsonRpc) {
  Sink sink;
  std::string error;
  for (const std::string_view bad :
       {std::string_view("{"), std::string_view("[1]"), std::string_view("{\"id\":1}"),
        std::string_view(R"({"method":5,"params":[],"id":1})"), std::string_view(R"({"method":"x","params":{},"id":1})"),
        std::string_view(R"({"result":[] "id":1})"), std::string_view("{\"a\":\"\xff\"}"),
        std::string_view(R"({"result":1,"id":1} extra)")}) {
    EXPECT_FALSE(ParseMessage(bad, sink, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
  // Too deep, in the tree and inside a streamed row.
  std::string deep = R"({"id":1,"result":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(ParseMessage(deep, sink, &error));
  EXPECT_NE(error.find("nested"), std::string::npos);
  std::string deep_row = R"({"id":1,"result":{"T":{"u":{"insert":)" + std::string(80, '[') + std::string(80, ']') + "}}}}";
  EXPECT_FALSE(ParseMessage(deep_row, sink, &error));
}

// ---- values -------------------------------------------------------------------------------

TEST(OvsdbDatum, Uuids) {
  const auto u = Uuid::Parse("38843526-B0C9-4722-b55e-342167077763");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->bytes[0], 0x38);
  EXPECT_EQ(u->bytes[15], 0x63);
  EXPECT_EQ(u->ToString(), "38843526-b0c9-4722-b55e-342167077763");
  for (const char* bad : {"38843526-b0c9-4722-b55e-34216707776", "38843526xb0c9-4722-b55e-342167077763",
                          "38843526-b0c9-4722-b55e-34216707776g", ""}) {
    EXPECT_FALSE(Uuid::Parse(bad)) << bad;
  }
  EXPECT_EQ(ReadUuid(json::parse(R"(["uuid","38843526-b0c9-4722-b55e-342167077763"])")), u);
  EXPECT_FALSE(ReadUuid(json::parse(R"(["named-uuid","38843526-b0c9-4722-b55e-342167077763"])")));
  EXPECT_FALSE(ReadUuid(json::parse(R"(["uuid",5])")));
  EXPECT_FALSE(ReadUuid(json::parse(R"("38843526-b0c9-4722-b55e-342167077763")")));
}

TEST(OvsdbDatum, CanonicalSetsAndMaps) {
  json out;
  ASSERT_TRUE(Canonical(ColumnKind::kSet, json::parse(R"(["set",[]])"), out));
  EXPECT_EQ(out, json::array());
  ASSERT_TRUE(Canonical(ColumnKind::kSet, json(5001), out));  // a set of one sent as its atom
  EXPECT_EQ(out, json::parse("[5001]"));
  ASSERT_TRUE(Canonical(ColumnKind::kSet, json::parse(R"(["uuid","38843526-b0c9-4722-b55e-342167077763"])"), out));
  EXPECT_EQ(out.size(), 1u);
  ASSERT_TRUE(Canonical(ColumnKind::kMap, json::parse(R"(["map",[[0,["uuid","38843526-b0c9-4722-b55e-342167077763"]]]])"), out));
  EXPECT_EQ(out[0][0], 0);
  EXPECT_FALSE(Canonical(ColumnKind::kMap, json::parse(R"(["map",[[0]]])"), out));
  EXPECT_FALSE(Canonical(ColumnKind::kSet, json::parse(R"(["set",[[1,2]]])"), out));
  EXPECT_FALSE(Canonical(ColumnKind::kScalar, json::object(), out));
  EXPECT_FALSE(Canonical(ColumnKind::kScalar, json::parse(R"(["uuid","nope"])"), out));
}

// ovsdb-server(7) §4.1.14: a set's difference is the elements in one of the two sets; a map's
// the pairs whose keys are in one map only, plus the changed pairs with their new values.
TEST(OvsdbDatum, ModifyDifferences) {
  json set = json::parse("[1,2,3]");
  ApplyDiff(ColumnKind::kSet, set, json::parse("[2,4]"));
  EXPECT_EQ(set, json::parse("[1,3,4]"));
  json key = json::parse("[5001]");
  ApplyDiff(ColumnKind::kSet, key, json::parse("[5001,5002]"));  // tunnel_key 5001 -> 5002
  EXPECT_EQ(key, json::parse("[5002]"));
  json map = json::parse(R"([["a","1"],["b","2"]])");
  ApplyDiff(ColumnKind::kMap, map, json::parse(R"([["a","1"],["b","3"],["c","4"]])"));
  EXPECT_EQ(map, json::parse(R"([["b","3"],["c","4"]])"));
  json scalar = "x";
  ApplyDiff(ColumnKind::kScalar, scalar, json("y"));
  EXPECT_EQ(scalar, "y");
}

}  // namespace
}  // namespace nvgre::daemon::ovsdb
