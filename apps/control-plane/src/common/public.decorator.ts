import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'controlPlane:isPublic';

/** Marks a controller or handler as reachable without the admin bearer token (health probes). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
