import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';

/** The OpenAPI document of the app's routes (bearer auth scheme for /v1). */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Ingest cluster control plane')
    .setDescription(
      'Stream keys, live streams and cluster nodes of the RTMP ingest cluster. Every /v1 route needs ' +
        '`Authorization: Bearer <ADMIN_TOKEN>`. Errors are JSON `{ statusCode, error, message }`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN of the control plane' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs and the OpenAPI JSON at /docs-json (public). Call before app.init(). */
export function setupSwagger(app: INestApplication): OpenAPIObject {
  const document = createOpenApiDocument(app);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: DOCS_JSON_PATH,
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Control plane API',
    swaggerOptions: { persistAuthorization: false },
  });
  return document;
}
