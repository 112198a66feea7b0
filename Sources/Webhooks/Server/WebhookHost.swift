import Foundation
import HTTPServer
import SyncEngine

/// `mapc serve` as a library: the HTTP server with the webhook routes (and any extra routes, such
/// as metrics and a dashboard), the inbox worker and the job scheduler, started and stopped together.
public final class WebhookHost: Sendable {
    /// The HTTP server.
    public let server: HTTPServer
    /// The background inbox worker, if one was given.
    public let worker: InboxWorker?
    /// The job scheduler, if one was given.
    public let scheduler: JobScheduler?

    private init(server: HTTPServer, worker: InboxWorker?, scheduler: JobScheduler?) {
        self.server = server
        self.worker = worker
        self.scheduler = scheduler
    }

    /// The router for `ingress` plus whatever `extraRoutes` registers (routes are tried in order:
    /// webhooks first, then the extras, then a 404 naming the webhook paths).
    public static func router(ingress: WebhookIngress, extraRoutes: (inout Router) -> Void = { _ in }) -> Router {
        var router = Router()
        ingress.register(on: &router)
        extraRoutes(&router)
        let known = ingress.endpoints.map(\.path).joined(separator: ", ")
        router.fallback { _ in
            Response.text("Not Found" + (known.isEmpty ? "\n" : "; webhook endpoints: \(known)\n"), status: 404)
        }
        return router
    }

    /// Starts the scheduler and worker, then the server (so nothing is accepted before it can be processed).
    ///
    /// - Throws: ``HTTPServerError`` when the address cannot be bound (the worker and scheduler are stopped again).
    public static func start(
        configuration: HTTPServerConfiguration, router: Router, worker: InboxWorker?, scheduler: JobScheduler?
    ) throws -> WebhookHost {
        scheduler?.start()
        worker?.start()
        do {
            let server = try HTTPServer.start(configuration: configuration, router: router)
            return WebhookHost(server: server, worker: worker, scheduler: scheduler)
        } catch {
            worker?.stop()
            scheduler?.stop(timeout: 0)
            throw error
        }
    }

    /// Stops accepting (finishing requests in flight), then the worker, then the scheduler (waiting up
    /// to `jobTimeout` seconds for running syncs; unfinished requests run after the next start).
    public func stop(jobTimeout: Double = 30) {
        server.stop(timeout: 10)
        worker?.stop()
        scheduler?.stop(timeout: jobTimeout)
    }
}
