DROP TABLE meta;
DROP TABLE item_tags;
