// What the backplane needs from the node it serves. The App module makes the fan-out and the
// presence roster conform, so this module depends on Hub and Reactor only.
import Hub

/// This node's hub: where announced events go, and its local positions.
public protocol ClusterDelivery: AnyObject, Sendable {
    func ingest(topic: String, epoch: String, event: EncodedEvent) -> IngestResult
    func align(topic: String, epoch: String, seq: Int64)
    func localPosition(of topic: String) -> StreamPosition?
}

/// This node's presence roster.
public protocol ClusterPresence: AnyObject, Sendable {
    func applyRemote(joined: [(String, PresenceMember)], left: [(String, PresenceMember)], fromNode node: String, atMs: Int64)
    func nodeSeen(_ node: String, atMs: Int64)
    @discardableResult func expireSilentNodes(nowMs: Int64, ttlMs: Int64) -> Int
    func dropRemoteNodes()
    func dropNode(_ node: String)
    var localMemberships: [(topic: String, member: PresenceMember)] { get }
    var remoteNodes: [String] { get }
}
