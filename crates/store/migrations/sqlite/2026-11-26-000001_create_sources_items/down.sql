DROP TABLE item_topics;
DROP TABLE items;
DROP TABLE sources;
