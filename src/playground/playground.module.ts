import { Module } from '@nestjs/common';
import { PlaygroundAssets } from './playground-assets.js';
import { PlaygroundController } from './playground.controller.js';

/** The browser playground at `/playground`: static files only; it calls the public API like any client. */
@Module({ controllers: [PlaygroundController], providers: [PlaygroundAssets] })
export class PlaygroundModule {}
