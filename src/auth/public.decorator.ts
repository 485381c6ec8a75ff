import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'gateway:public';

/** Marks a controller or route as reachable without an API key (health, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
