import { type Request, type Response, Router } from 'express';
import { eventExamples } from '../../domain/event-examples.ts';
import { asyncApiDocument, loadAsyncApiSources, renderAsyncApi } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';

interface RenderedDocument {
  readonly json: string;
  readonly yaml: string;
}

/**
 * `GET /asyncapi.json` and `/asyncapi.yaml`, unauthenticated like /openapi.json: the
 * AsyncAPI document of the installation's topics (docs/contracts.md §8). The gateway
 * itself never talks to Kafka; it reads KAFKA_TOPIC_PREFIX only to name the topics
 * as the relay publishes them. Made once, from files, at start; a failure to read
 * them is answered 500 and tried again on the next request.
 */
export function asyncApiRoutes(): Router {
  const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
  const render = async (): Promise<RenderedDocument> => {
    const document = asyncApiDocument(await loadAsyncApiSources(KAFKA_TOPIC_PREFIX, eventExamples));
    return { json: renderAsyncApi(document, 'json'), yaml: renderAsyncApi(document, 'yaml') };
  };
  let rendered: Promise<RenderedDocument> | undefined;
  const documents = (): Promise<RenderedDocument> => {
    rendered ??= render().catch((error: unknown) => {
      rendered = undefined;
      throw error;
    });
    return rendered;
  };
  // Started now so the first request does not wait; its failure surfaces on that request.
  documents().catch(() => undefined);

  const router = Router();
  router.get('/asyncapi.json', async (_req: Request, res: Response) => {
    res.type('application/json').send((await documents()).json);
  });
  router.get('/asyncapi.yaml', async (_req: Request, res: Response) => {
    res.type('application/yaml').send((await documents()).yaml);
  });
  return router;
}
